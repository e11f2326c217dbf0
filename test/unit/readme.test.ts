import fs from 'node:fs';
import path from 'node:path';

/** The README is the user's manual: its commands and configuration table must match the code. */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const readme = read('README.md');

/** Variable names declared as keys of the zod env schema in a config source file. */
const schemaVariables = (source: string) => [...source.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);

/** Names in the first column of the README's configuration tables. */
const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]));

describe('README.md', () => {
  it('shows the quick start as exactly the two commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toMatch(/^npm test\s/m);
  });

  it.each([['server/config.ts'], ['worker/config.ts']])('documents every variable %s reads', (file) => {
    const names = schemaVariables(read(file));
    expect(names.length).toBeGreaterThan(3);
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });

  it('documents LOCAL_WORKERS and that KAFKA_* is unused', () => {
    expect(documented.has('LOCAL_WORKERS')).toBe(true);
    expect(readme).toMatch(/KAFKA_BROKERS.*unused/);
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys(JSON.parse(read('package.json')).scripts as Record<string, string>);
    const used = [...readme.matchAll(/npm run (?:--silent )?([a-z][a-z:-]*[a-z])/g)].map((m) => m[1]);
    expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
  });
});
