import { updatePersona } from '../../server/db/personas';
import { DEFAULT_ALLOWED_TOOLS } from '../../server/services/assignment';
import { assignPayload } from '../../shared/socket-events';
import { FakeWorker } from '../helpers/fake-worker';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import { waitFor } from '../helpers/wait';

/** What a worker is handed: the persona's tools, hosts and budget, or the defaults without a persona. */
describe('assignment limits', () => {
  let o: TestOrchestrator;
  let w: FakeWorker;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${o.baseUrl}${path}`, {
      method,
      headers: { ...o.auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const assignmentOf = async (body: object) => {
    const { executionId } = (await api('POST', '/api/execute', body)).body;
    return waitFor(() => w.assigned.find((p) => p.executionId === executionId), `assignment of ${executionId}`, 15_000);
  };

  beforeAll(async () => {
    o = await startTestOrchestrator();
    w = new FakeWorker({ url: o.wsUrl, workerId: 'w-limits', slots: 4, runMs: 10 });
    await w.register();
  });
  afterAll(async () => {
    w?.close();
    await o?.close();
  });

  it('gives a raw execution the default tools, no hosts and no budget', async () => {
    const p = await assignmentOf({ prompt: 'raw run' });
    expect(p.allowedTools).toEqual(DEFAULT_ALLOWED_TOOLS);
    expect(p.allowedHosts).toEqual([]);
    expect(p).not.toHaveProperty('maxBudgetUsd');
    expect(assignPayload.safeParse(p).success).toBe(true);
  });

  it("carries the persona's tools, hosts and budget", async () => {
    const persona = await api('POST', '/api/personas', {
      name: 'Limited', allowedTools: ['Read', 'Bash(git *)'], allowedHosts: ['api.github.com', '127.0.0.1:8080'], maxBudgetUsd: 0.75,
    });
    const p = await assignmentOf({ prompt: 'limited run', personaId: persona.body.id });
    expect(p).toMatchObject({ allowedTools: ['Read', 'Bash(git *)'], allowedHosts: ['api.github.com', '127.0.0.1:8080'], maxBudgetUsd: 0.75 });
    expect(assignPayload.safeParse(p).success).toBe(true);
  });

  it('gives the default list to a persona without a list, and no tools to one with []', async () => {
    const plain = await api('POST', '/api/personas', { name: 'Plain' });
    expect((await assignmentOf({ prompt: 'plain run', personaId: plain.body.id })).allowedTools).toEqual(DEFAULT_ALLOWED_TOOLS);
    const bare = await api('POST', '/api/personas', { name: 'Bare', allowedTools: [] });
    expect((await assignmentOf({ prompt: 'bare run', personaId: bare.body.id })).allowedTools).toEqual([]);
  });

  it('sets no budget for a budget of 0 stored before budgets had to be positive', async () => {
    const legacy = await api('POST', '/api/personas', { name: 'Legacy' });
    await updatePersona(o.db, legacy.body.id, { maxBudgetUsd: 0 });
    const p = await assignmentOf({ prompt: 'legacy run', personaId: legacy.body.id });
    expect(p).not.toHaveProperty('maxBudgetUsd');
    expect(assignPayload.safeParse(p).success).toBe(true);
  });
});
