import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TEST_KEYS } from '../helpers/env';
import { createE2eSystem, type E2eSystem } from '../helpers/e2e-system';
import { slow, text, userText } from '../helpers/fake-anthropic';
import { waitUntil } from '../helpers/processes';

/**
 * The README's examples, run as written (bash and curl) against a real orchestrator and worker:
 * creating a persona, both ways of storing a credential and linking them, starting an execution,
 * reading it, and following it over SSE. Only the placeholders (`<persona-id>`, the encrypted blob
 * that `npm run encrypt-credential` prints) are filled in.
 */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The ```bash blocks of the section under `heading` (up to the next heading of any level). */
function bashBlocks(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no "${heading}"`);
  const rest = README.slice(start + heading.length + 2);
  const section = rest.slice(0, rest.search(/\n#{2,4} /) === -1 ? undefined : rest.search(/\n#{2,4} /));
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** The commands of a block, comments dropped; a command goes on while a quote is open. */
function commands(block: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of block.split('\n')) {
    if (!current && (line.startsWith('#') || !line.trim())) continue;
    current += `${line}\n`;
    if ((current.match(/'/g) ?? []).length % 2 === 0) {
      out.push(current.replace(/\s+#[^'"]*$/, '').trim()); // a trailing comment after the command
      current = '';
    }
  }
  return out;
}

/** The documented example output of a block: its `# …` lines. */
const documentedOutput = (block: string) => block.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^# ?/, ''));

describe('README examples, run as written', () => {
  let sys: E2eSystem;
  const ids: Record<string, string> = {};

  /** Runs a command with bash. Never synchronously: the fake Messages API answers from this process. */
  const sh = (command: string): Promise<string> => {
    const filled = command.replace(/<([a-z]+-id)>/g, (_, name: string) => {
      if (!ids[name]) throw new Error(`no ${name} yet for: ${command}`);
      return ids[name];
    });
    const child = spawn('bash', ['-c', filled], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, API: sys.base, KEY: TEST_KEYS.TEAM_API_KEY, MASTER_KEY: TEST_KEYS.MASTER_KEY },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`${filled}\nexited ${code}: ${err}`));
      });
    });
  };
  const json = (out: string) => JSON.parse(out) as any;

  beforeAll(async () => {
    sys = await createE2eSystem('readme');
    await sys.startOrchestrator();
    await sys.startWorker('readme-worker', { env: { SHUTDOWN_GRACE_MS: '5000' } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('creates the persona of "Personas"', async () => {
    const [create] = bashBlocks('### Personas');
    const persona = json(await sh(commands(create)[0]));
    expect(persona).toMatchObject({ name: 'Code Reviewer', maxConcurrent: 2, maxBudgetUsd: 2.5 });
    ids['persona-id'] = persona.id;
  });

  it('stores a credential both ways shown in "Credentials", under distinct names, and links both', async () => {
    const [plain, encrypted] = bashBlocks('### Credentials');
    const first = json(await sh(commands(plain)[0]));
    expect(first).toMatchObject({ name: 'gitlab', serviceType: 'gitlab', fields: ['token', 'url'] });
    expect(JSON.stringify(first)).not.toContain('glpat-');

    const [seal, store, link] = commands(encrypted);
    expect(seal).toBe(`echo '{"token": "glpat-…"}' | npm run --silent encrypt-credential`);
    const blob = json(await sh(seal));
    expect(documentedOutput(encrypted)[0]).toMatch(/^\{"encryptedData":"[0-9a-f]+…","iv":"[0-9a-f]+…","tag":"[0-9a-f]+…"\}$/);
    const second = json(await sh(store.replace('9c1e…', blob.encryptedData).replace('5b0a…', blob.iv).replace('e41d…', blob.tag)));
    expect(second).toMatchObject({ name: 'gitlab-ci', fields: ['token'] });

    for (const credential of [first, second]) {
      ids['credential-id'] = credential.id;
      expect(json(await sh(link))).toMatchObject({ id: credential.id });
    }
    // The names the README gives map to distinct variables, so both links stand.
    const linked = json(await sh(`curl -s $API/api/personas/${ids['persona-id']}/credentials -H "Authorization: Bearer $KEY"`));
    expect(linked.map((c: { name: string }) => c.name).sort()).toEqual(['gitlab', 'gitlab-ci']);
  });

  it('starts and reads the execution of "Executions", and follows it over SSE exactly as "Following an execution live" shows', async () => {
    sys.fake.onPrompt('Review the latest merge request', [slow(150, text('The merge request looks good.'), 20)]);
    const [block] = bashBlocks('### Executions');
    const [execute, read] = commands(block);
    const submitted = json(await sh(execute));
    expect(documentedOutput(block)[0]).toBe('202 {"executionId": "…", "status": "queued", …}');
    expect(submitted).toMatchObject({ executionId: expect.any(String), status: 'queued' });
    ids['execution-id'] = submitted.executionId;

    // Follow it while it runs: curl -N as written, until the server ends the stream.
    await waitUntil('the run to start', () => sys.fake.mainRequests().some((r) => userText(r).includes('Review the latest merge request')), 30_000, sys.logs);
    const [follow] = bashBlocks('## Following an execution live');
    const stream = await sh(commands(follow)[0]);

    const detail = json(await sh(read));
    expect(detail.status).toBe('completed');
    expect(detail.outputText).toContain('The merge request looks good.');
    for (const line of detail.output) expect(line.text).toBe(line.content); // `content` is the alias

    type Sse = { event: string; id: string; data: Record<string, unknown> };
    const parse = (raw: string): { preamble: string[]; events: Sse[] } => {
      const blocks = raw.trim().split(/\n\n+/).map((b) => b.split('\n'));
      const preamble = blocks[0][0].startsWith('event:') ? [] : blocks.shift()!;
      const events = blocks
        .filter((lines) => lines.some((l) => l.startsWith('event:')))
        .map((lines) => {
          expect(lines.map((l) => l.split(':')[0])).toEqual(['event', 'id', 'data']); // exactly these fields, in this order
          const field = (name: string) => lines.find((l) => l.startsWith(`${name}:`))!.slice(name.length + 1);
          return { event: field('event'), id: field('id'), data: JSON.parse(field('data').replace(/"…"/g, '"x"').replace(/…/g, '0')) };
        });
      return { preamble, events };
    };
    const documented = parse(documentedOutput(follow).join('\n'));
    const real = parse(stream);
    expect(real.preamble).toEqual(documented.preamble); // retry:2000

    const keysOf = (events: Sse[], kind: string) => [...new Set(events.filter((e) => e.event === kind).map((e) => Object.keys(e.data).join(',')))];
    for (const kind of ['output', 'status', 'end']) {
      expect(keysOf(real.events, kind)).toEqual(keysOf(documented.events, kind));
    }
    const kinds = real.events.map((e) => e.event);
    expect(kinds[kinds.length - 1]).toBe('end');
    expect(kinds.filter((k) => k === 'end')).toHaveLength(1);
    expect(kinds).toContain('status');
    expect(new Set(kinds)).toEqual(new Set(['output', 'status', 'end']));
    const outputs = real.events.filter((e) => e.event === 'output');
    expect(outputs.map((e) => Number(e.id))).toEqual(outputs.map((_, i) => i)); // id = seq, from 0, none missing
    expect(outputs.map((e) => e.data.seq)).toEqual(outputs.map((_, i) => i));
    expect(outputs.map((e) => e.data.stream).every((s) => ['system', 'assistant', 'tool', 'tool_result', 'stderr', 'result'].includes(s as string))).toBe(true);
    expect(outputs.map((e) => e.data.text).join('')).toContain('The merge request looks good.');
    expect(real.events.at(-1)).toEqual({
      event: 'end', id: String(outputs.length - 1), data: { executionId: submitted.executionId, status: 'completed', error: null },
    });
    const status = real.events.find((e) => e.event === 'status')!;
    expect(status.data).toEqual({ executionId: submitted.executionId, status: 'running' });
  });
});
