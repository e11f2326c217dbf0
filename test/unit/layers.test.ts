import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The arrows between the code's rooms point down (STYLE.md, "the one thing to mend"): read every
 * import of server/, shared/ and worker/ (type-only imports included) with the TypeScript scanner
 * and fail on an import that points up a layer or on any import cycle.
 */
const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = path.join(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(path.join(ROOT, f)));
}

/** file → the project files it imports (relative specifiers only; packages are not layers). */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true);
    const targets = info.importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveImport(file, s))
      .filter((t): t is string => t !== undefined);
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), plus files importing themselves. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Which files may not import which: [who, what it may not import, why]. */
const RULES: Array<[RegExp, RegExp, string]> = [
  // Only the HTTP layer itself, the wiring (orchestrator.ts, main.ts) and a room's Express adapter
  // (`server/<room>/express.ts`, the one file of a room that knows it runs inside Express) know the HTTP layer.
  [/^server\/(?!http\/|orchestrator\.ts$|main\.ts$|[a-z-]+\/express\.ts$)/, /^server\/http\//, 'a lower layer imports from http/'],
  [/^server\/domain\//, /^server\/(?!domain\/)/, 'domain/ is pure logic: it imports only domain/ and shared/'],
  [/^server\/db\//, /^server\/(services|gateway|queues|http|cluster)\//, 'db/ is the bottom of the server: no services, gateway, queues or cluster'],
  [/^shared\//, /^(server|worker)\//, 'shared/ is imported by both sides and imports neither'],
  [/^worker\//, /^server\//, 'the worker never imports the orchestrator'],
  [/^server\//, /^worker\//, 'the orchestrator never imports the worker'],
];

function violations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      for (const [who, what, why] of RULES) if (who.test(file) && what.test(target)) out.push(`${file} -> ${target}: ${why}`);
    }
  }
  return out;
}

describe('layers', () => {
  const graph = importGraph([...sourceFiles('server'), ...sourceFiles('shared'), ...sourceFiles('worker')]);

  it('reads the imports (sanity: the wiring imports the HTTP app and the registry)', () => {
    expect(graph.get('server/orchestrator.ts')).toEqual(expect.arrayContaining(['server/http/app.ts', 'server/gateway/worker-registry.ts']));
  });

  it('no lower layer imports from a higher one', () => {
    expect(violations(graph)).toEqual([]);
  });

  it('no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('the checks catch an upward import and a cycle', () => {
    const bad = new Map<string, string[]>([
      ['server/services/a.ts', ['server/http/context.ts']],
      ['server/http/context.ts', ['server/services/b.ts']],
      ['server/services/b.ts', ['server/gateway/c.ts']],
      ['server/gateway/c.ts', ['server/services/b.ts']],
    ]);
    expect(violations(bad)).toEqual(['server/services/a.ts -> server/http/context.ts: a lower layer imports from http/']);
    expect(cycles(bad)).toEqual([['server/gateway/c.ts', 'server/services/b.ts']]);
  });
});
