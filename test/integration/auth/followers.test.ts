import { io, type Socket } from 'socket.io-client';
import { startTestOrchestrator, type TestOrchestrator } from '../../helpers/orchestrator';

/** Following executions over socket.io takes an API key from `reader` up (the team key included). */
describe('socket.io followers and API keys', () => {
  let o: TestOrchestrator;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    o = await startTestOrchestrator();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await o.close();
  });

  const newKey = async (name: string, role: string) => {
    const res = await fetch(`${o.baseUrl}/api/keys`, { method: 'POST', headers: { ...o.auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ name, role }) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  };
  /** Resolves 'connected' or the connect error's message. */
  const connect = (token: string) =>
    new Promise<string>((resolve) => {
      const s = io(o.baseUrl, { auth: { token }, reconnection: false, transports: ['websocket'] });
      sockets.push(s);
      s.once('connect', () => resolve('connected'));
      s.once('connect_error', (e) => resolve(e.message));
    });

  it('admits reader and up, refuses webhook keys and revoked keys, and drops a follower whose key is revoked', async () => {
    const reader = await newKey('follower reader', 'reader');
    const hook = await newKey('follower webhook', 'webhook');
    expect(await connect(reader.key)).toBe('connected');
    expect(await connect(o.auth.Authorization.slice('Bearer '.length))).toBe('connected');
    expect(await connect(hook.key)).toBe('unauthorized');
    expect(await connect('pck_unknown')).toBe('unauthorized');

    const live = sockets[0];
    const dropped = new Promise<number>((resolve) => live.once('disconnect', () => resolve(Date.now())));
    const revokedAt = Date.now();
    const revoked = await fetch(`${o.baseUrl}/api/keys/${reader.id}`, { method: 'DELETE', headers: o.auth });
    expect(revoked.status).toBe(204);
    expect(await connect(reader.key)).toBe('unauthorized');
    // The socket that was already following is dropped within a second too.
    expect((await dropped) - revokedAt).toBeLessThan(1100);
  });

  it('ends an SSE stream whose key is revoked while it follows, saying why', async () => {
    const reader = await newKey('sse reader', 'reader');
    // No worker: the execution stays queued and its stream open.
    const submitted = await fetch(`${o.baseUrl}/api/execute`, { method: 'POST', headers: { ...o.auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt: 'wait' }) });
    const { executionId } = (await submitted.json()) as { executionId: string };
    const res = await fetch(`${o.baseUrl}/api/executions/${executionId}/stream`, { headers: { Authorization: `Bearer ${reader.key}` } });
    expect(res.status).toBe(200);
    const reader$ = res.body!.getReader();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { done, value } = await reader$.read();
        if (done) return text;
        text += Buffer.from(value).toString();
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(text).toContain('event:status');
      const revoked = await fetch(`${o.baseUrl}/api/keys/${reader.id}`, { method: 'DELETE', headers: o.auth });
      expect(revoked.status).toBe(204);
      const ended = await Promise.race([read, new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`stream still open: ${text}`)), 5_000))]);
      expect(ended).toContain('event:revoked');
      expect(ended).toContain('the API key of this stream was revoked');
      expect(ended).not.toContain('event:end');
    } finally {
      await reader$.cancel().catch(() => undefined);
      await fetch(`${o.baseUrl}/api/executions/${executionId}/cancel`, { method: 'POST', headers: o.auth });
    }
  });
});
