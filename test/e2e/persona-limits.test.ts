import { createE2eSystem, type E2eSystem } from '../helpers/e2e-system';
import { text, toolResults, toolUse, userText, type FakeReply, type RecordedRequest } from '../helpers/fake-anthropic';

/**
 * A persona's allowedTools and maxBudgetUsd as the real Claude CLI applies them (orchestrator and
 * worker processes, the real CLI against the fake Messages API): what the fake receives back is
 * what the CLI did.
 */
jest.setTimeout(180_000);

/** The shell computes it, so it appears only if a shell really ran (the command text holds `$((6*7))`). */
const SHELL_PROOF = 'echo $((6*7))-shell-ran';
const SHELL_RAN = '42-shell-ran';

describe('persona limits with the real CLI', () => {
  let sys: E2eSystem;

  beforeAll(async () => {
    sys = await createE2eSystem('limits');
    await sys.startOrchestrator();
    await sys.startWorker('limits-w1', { slots: 2 });
  });

  afterEach(() => sys.fake.reset());

  afterAll(async () => {
    await sys?.stop();
  });

  /** Creates a persona, scripts its conversation, runs it to the end; answers the record and every request of it. */
  async function run(name: string, persona: Record<string, unknown>, replies: FakeReply[]) {
    const created = await sys.api('POST', '/api/personas', { name, ...persona });
    expect(created.status).toBe(201);
    sys.fake.onPrompt(`# Persona: ${name}`, replies);
    const submitted = await sys.api('POST', '/api/execute', { prompt: 'go', personaId: created.body.id });
    expect(submitted.status).toBe(202);
    const done = await sys.final(submitted.body.executionId);
    const requests = sys.fake.requests.filter((r) => r.kind !== 'other' && userText(r).includes(`# Persona: ${name}`));
    return { done, requests, turns: requests.filter((r) => r.kind === 'main') };
  }
  const toolNames = (r: RecordedRequest): string[] => (Array.isArray(r.body?.tools) ? r.body.tools.map((t: { name: string }) => t.name) : []);

  it('runs the shell for a persona with the default tools (the control)', async () => {
    const { done, turns } = await run('Limits Default', {}, [toolUse('Bash', { command: SHELL_PROOF }), text('done')]);
    expect(done.status).toBe('completed');
    expect(toolNames(turns[0])).toEqual(expect.arrayContaining(['Bash', 'Read', 'Write', 'Edit', 'WebFetch']));
    expect(toolResults(turns[turns.length - 1]).join('\n')).toContain(SHELL_RAN);
  });

  it('gives a persona without Bash no shell: the CLI offers no Bash tool and refuses the call', async () => {
    const { done, turns } = await run('Limits No Shell', { allowedTools: ['Read', 'Grep'] }, [
      toolUse('Bash', { command: SHELL_PROOF }),
      text('done'),
    ]);
    expect(done.status).toBe('completed');
    expect(turns.length).toBe(2);
    for (const turn of turns) {
      expect(toolNames(turn)).toEqual(expect.arrayContaining(['Read', 'Grep']));
      expect(toolNames(turn)).not.toEqual(expect.arrayContaining(['Bash']));
      expect(toolNames(turn)).not.toEqual(expect.arrayContaining(['Write']));
    }
    const result = toolResults(turns[1]).join('\n');
    expect(result).toMatch(/No such tool available: Bash/);
    expect(result).not.toContain(SHELL_RAN);
    expect(JSON.stringify(done)).not.toContain(SHELL_RAN);
  });

  it('gives a persona with allowedTools [] no tools at all', async () => {
    const { done, requests } = await run('Limits No Tools', { allowedTools: [] }, [toolUse('Bash', { command: SHELL_PROOF }), text('done')]);
    expect(done.status).toBe('completed');
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(toolNames(r)).toEqual([]);
    expect(JSON.stringify(done)).not.toContain(SHELL_RAN);
  });

  it('pre-approves only the pattern of a Bash(pattern) entry', async () => {
    const { done, turns } = await run('Limits Touch Only', { allowedTools: ['Bash(touch *)'] }, [
      toolUse('Bash', { command: 'touch approved-file && echo touched-ok' }),
      toolUse('Bash', { command: 'mkdir refused-dir && echo mkdir-ran' }),
      text('done'),
    ]);
    expect(done.status).toBe('completed');
    expect(toolNames(turns[0])).toEqual(expect.arrayContaining(['Bash']));
    const [touched, refused] = toolResults(turns[turns.length - 1]);
    expect(touched).toContain('touched-ok');
    expect(refused).not.toContain('mkdir-ran');
    expect(refused).toMatch(/approval|denied/i);
  });

  it('passes maxBudgetUsd to the CLI, which ends the run once the first turn costs more', async () => {
    // 12 input + 8 output tokens per fake turn cost more than a millionth of a dollar at any model's price.
    const { done, turns } = await run('Limits Budget', { maxBudgetUsd: 0.000001 }, [toolUse('Bash', { command: SHELL_PROOF }), text('done')]);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('cli_error: error_max_budget_usd');
    expect(turns).toHaveLength(1); // the CLI stopped before running the tool and asking again
    expect(JSON.stringify(done)).not.toContain(SHELL_RAN);

    const roomy = await run('Limits Roomy Budget', { maxBudgetUsd: 50 }, [toolUse('Bash', { command: SHELL_PROOF }), text('done')]);
    expect(roomy.done.status).toBe('completed');
    expect(roomy.turns).toHaveLength(2);
  });
});
