import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { io } from 'socket.io-client';
import { loadConfig, plaintextWarning } from '../../server/config';
import { startOrchestrator } from '../../server/orchestrator';
import { ConfigError } from '../../shared/errors';
import { createOrchestratorSocket, OrchestratorConnection } from '../../worker/connection';
import { loadWorkerConfig } from '../../worker/config';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import { deletePrefix } from '../helpers/redis';
import { httpsJson, makeSelfSignedCert, type TestCert } from '../helpers/tls';
import { waitFor } from '../helpers/wait';

/**
 * TLS_CERT_FILE / TLS_KEY_FILE with a self-signed certificate made at test time: the API answers
 * over HTTPS only, workers connect over WSS trusting ORCHESTRATOR_CA_FILE, and a production
 * orchestrator listening beyond loopback in clear says so once.
 */
describe('TLS', () => {
  let dir: string;
  let cert: TestCert;
  let other: TestCert;

  beforeAll(async () => {
    dir = tempDir('pc-tls');
    cert = await makeSelfSignedCert(dir);
    other = await makeSelfSignedCert(dir, 'other');
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('configuration', () => {
    const env = (extra: NodeJS.ProcessEnv) => ({ ...TEST_KEYS, ...extra });

    it('reads the certificate and key, both or neither, naming the variable that is wrong', () => {
      expect(loadConfig(env({ TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile })).tls).toMatchObject({ certFile: cert.certFile });
      expect(loadConfig(env({})).tls).toBeUndefined();
      expect(() => loadConfig(env({ TLS_CERT_FILE: cert.certFile }))).toThrow(/TLS_KEY_FILE: is required/);
      expect(() => loadConfig(env({ TLS_KEY_FILE: cert.keyFile }))).toThrow(/TLS_CERT_FILE: is required/);
      expect(() => loadConfig(env({ TLS_CERT_FILE: path.join(dir, 'missing.pem'), TLS_KEY_FILE: cert.keyFile }))).toThrow(/TLS_CERT_FILE: cannot read .* \(ENOENT\)/);
      expect(() => loadConfig(env({ TLS_CERT_FILE: cert.keyFile, TLS_KEY_FILE: cert.keyFile }))).toThrow(/TLS_CERT_FILE: .* is not a PEM file/);
      expect(() => loadConfig(env({ TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: other.keyFile }))).toThrow(ConfigError);
      expect(() => loadConfig(env({ TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: other.keyFile }))).toThrow(/TLS_KEY_FILE: does not fit TLS_CERT_FILE/);
    });

    it('lets WORKER_TOKEN stay unset (only enrolled workers then), but not shorter than 16 characters', () => {
      expect(loadConfig({ ...TEST_KEYS, WORKER_TOKEN: '' }).workerToken).toBeUndefined();
      expect(() => loadConfig({ ...TEST_KEYS, WORKER_TOKEN: 'short' })).toThrow(/WORKER_TOKEN/);
    });

    it('warns only for production, beyond loopback, without TLS', () => {
      const tls = loadConfig(env({ TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile })).tls;
      expect(plaintextWarning({ nodeEnv: 'production', host: '0.0.0.0' })).toMatch(/without TLS/);
      expect(plaintextWarning({ nodeEnv: 'production', host: '10.0.0.5' })).toMatch(/TLS_CERT_FILE/);
      expect(plaintextWarning({ nodeEnv: 'production', host: '0.0.0.0', tls })).toBeUndefined();
      for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(plaintextWarning({ nodeEnv: 'production', host })).toBeUndefined();
      expect(plaintextWarning({ nodeEnv: 'development', host: '0.0.0.0' })).toBeUndefined();
    });

    it("the worker takes wss:// with ORCHESTRATOR_CA_FILE, and refuses a CA file it cannot use", () => {
      const base = { WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN, WORKER_SANDBOX: 'none' };
      const c = loadWorkerConfig({ ...base, ORCHESTRATOR_URL: 'wss://127.0.0.1:8443', ORCHESTRATOR_CA_FILE: cert.certFile });
      expect(c.orchestratorUrl).toBe('https://127.0.0.1:8443');
      expect(c.orchestratorCa).toBe(cert.cert);
      expect(() => loadWorkerConfig({ ...base, ORCHESTRATOR_URL: 'ws://127.0.0.1:8443', ORCHESTRATOR_CA_FILE: cert.certFile })).toThrow(/ORCHESTRATOR_CA_FILE: is set but ORCHESTRATOR_URL is not wss/);
      expect(() => loadWorkerConfig({ ...base, ORCHESTRATOR_URL: 'wss://h:1', ORCHESTRATOR_CA_FILE: path.join(dir, 'nope.pem') })).toThrow(/ORCHESTRATOR_CA_FILE: cannot read/);
      expect(() => loadWorkerConfig({ ...base, ORCHESTRATOR_URL: 'wss://h:1', ORCHESTRATOR_CA_FILE: cert.keyFile })).toThrow(/ORCHESTRATOR_CA_FILE: .* holds no PEM certificate/);
    });
  });

  describe('an orchestrator with TLS_CERT_FILE and TLS_KEY_FILE', () => {
    let o: TestOrchestrator;
    beforeAll(async () => {
      o = await startTestOrchestrator({ TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile });
    });
    afterAll(async () => {
      await o.close();
    });

    it('serves the API over HTTPS only', async () => {
      const res = await httpsJson(`https://127.0.0.1:${o.httpPort}/api/status`, { ca: cert.cert, headers: o.auth });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
      await expect(fetch(`http://127.0.0.1:${o.httpPort}/health`)).rejects.toThrow();
      // An untrusted certificate is refused by the client: the connection really is TLS.
      await expect(httpsJson(`https://127.0.0.1:${o.httpPort}/health`, { ca: other.cert })).rejects.toThrow(/self[- ]signed|certificate/i);
    });

    it('takes workers over WSS with the CA, and nothing in clear', async () => {
      const socket = createOrchestratorSocket(`https://127.0.0.1:${o.wsPort}`, TEST_KEYS.WORKER_TOKEN, { ca: cert.cert, delayMs: 100 });
      let fatal: Error | undefined;
      const connection = new OrchestratorConnection({
        socket, identity: { workerId: 'tls-worker', slots: 1, version: 'test' }, runningIds: () => [],
        logger: pino({ level: 'silent' }), onFatal: (err) => (fatal = err),
      });
      connection.start();
      try {
        await waitFor(() => connection.isRegistered, 'the worker to register over wss');
        const status = await httpsJson(`https://127.0.0.1:${o.httpPort}/api/status`, { ca: cert.cert, headers: o.auth });
        expect(status.body.workers).toEqual([expect.objectContaining({ workerId: 'tls-worker' })]);
        expect(fatal).toBeUndefined();
      } finally {
        connection.close();
      }
      const clear = io(`http://127.0.0.1:${o.wsPort}`, { auth: { token: TEST_KEYS.WORKER_TOKEN }, reconnection: false, transports: ['websocket'], timeout: 3000 });
      const err = await new Promise<Error>((resolve) => clear.once('connect_error', resolve));
      clear.close();
      expect(err).toBeInstanceOf(Error);
    });
  });

  it('a production orchestrator listening beyond loopback without TLS warns once at start', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const prefix = uniquePrefix('tls');
    const config = loadConfig({
      ...TEST_KEYS, NODE_ENV: 'production', HOST: '0.0.0.0', HTTP_PORT: '0', WS_PORT: '0',
      DAC_DB_PATH: path.join(dir, 'prod.db'), REDIS_URL, QUEUE_PREFIX: prefix,
    });
    const o = await startOrchestrator(config, pino({ level: 'info' }, sink));
    try {
      const warnings = lines.filter((l) => l.level === 40 && /without TLS/.test(l.msg));
      expect(warnings).toHaveLength(1);
    } finally {
      await o.stop();
      await deletePrefix(prefix);
    }
  });
});
