import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ORCHESTRATOR_NODE_FLAGS, WORKER_NODE_FLAGS } from '../../shared/node-flags';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/**
 * Every place the orchestrator or a worker is started passes the same Node flags (the images' CMDs
 * equal compose's commands: compose.test).
 */
describe.each([
  { name: 'orchestrator', flags: ORCHESTRATOR_NODE_FLAGS, script: 'dist/server/main.js', constant: 'ORCHESTRATOR_NODE_FLAGS', startScript: 'ORCHESTRATOR_SCRIPT' },
  { name: 'worker', flags: WORKER_NODE_FLAGS, script: 'dist/worker/main.js', constant: 'WORKER_NODE_FLAGS', startScript: 'WORKER_SCRIPT' },
])('the $name\'s Node flags', ({ name, flags, script, constant, startScript }) => {
  it('are on its docker-compose service and in its image', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { command?: string[] }> };
    expect(compose.services[name].command).toEqual(['node', ...flags, script]);
    expect(read('Dockerfile')).toContain(`CMD ${JSON.stringify(['node', ...flags, script]).replace(/","/g, '", "')}`);
  });

  it(`are in npm run ${name}, and npm start passes them to its ${name} process`, () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts[name]).toBe(['exec node', ...flags, script].join(' '));
    expect(read('scripts/start.ts')).toMatch(new RegExp(`script: ${startScript}, env(: childEnv)?, nodeFlags: ${constant} \\}`));
  });

  it('are flags this Node accepts', () => {
    expect(flags.length).toBeGreaterThan(0);
    const { status, stderr } = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});
