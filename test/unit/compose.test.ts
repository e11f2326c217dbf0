import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../server/config';
import { TEST_KEYS } from '../helpers/env';

/**
 * No Docker engine runs where the tests run, so this reads docker-compose.yml and checks it
 * against the configuration the code actually reads.
 */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  ports?: string[];
  environment?: Record<string, string> | string[];
  container_name?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const { redis, orchestrator, worker } = compose.services;

/** `${NAME:-default}` → default, `${NAME:?message}` / `${NAME}` → `<NAME>`: what compose would substitute with no .env. */
const interpolate = (s: string) =>
  s.replace(/\$\{(\w+)(?::?-([^}]*)|:?\?[^}]*)?\}/g, (_, name: string, def?: string) => def ?? `<${name}>`);

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const entries = Array.isArray(env) ? env.map((e) => e.split('=', 2) as [string, string]) : Object.entries(env);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(String(v ?? ''))]));
}

/** Container side of "host:container" port mappings. */
const containerPorts = (service: Service) => (service.ports ?? []).map((p) => Number(interpolate(p).split(':').pop()));
const defaults = loadConfig(TEST_KEYS);

describe('docker-compose.yml', () => {
  it('has the redis, orchestrator and worker services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['orchestrator', 'redis', 'worker']);
  });

  it('runs Redis 7 with AOF persistence and noeviction (BullMQ loses jobs under eviction) on a volume', () => {
    expect(redis.image).toMatch(/^redis:7/);
    const command = ([] as string[]).concat(redis.command ?? []).join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('publishes the orchestrator on the config defaults and tells it the same ports', () => {
    expect(defaults.httpPort).toBe(3001);
    expect(defaults.wsPort).toBe(8443);
    expect(containerPorts(orchestrator).sort()).toEqual([defaults.httpPort, defaults.wsPort].sort());
    const env = envOf(orchestrator);
    expect(Number(env.HTTP_PORT || defaults.httpPort)).toBe(defaults.httpPort);
    expect(Number(env.WS_PORT || defaults.wsPort)).toBe(defaults.wsPort);
    // With nothing set, the host sees the same ports.
    expect((orchestrator.ports ?? []).map((p) => interpolate(p))).toEqual(['3001:3001', '8443:8443']);
  });

  it('gives the orchestrator its data volume, production mode, the secrets and the compose Redis', () => {
    const env = envOf(orchestrator);
    expect(env.NODE_ENV).toBe('production');
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    const dbDir = path.posix.dirname(env.DAC_DB_PATH);
    expect(orchestrator.volumes?.some((v) => v.endsWith(`:${dbDir}`))).toBe(true);
    for (const name of ['MASTER_KEY', 'TEAM_API_KEY', 'WORKER_TOKEN']) expect(env[name]).toBe(`<${name}>`);
    expect(orchestrator.depends_on?.redis.condition).toBe('service_healthy');
    expect(orchestrator.command).toEqual(['npm', 'run', 'orchestrator']);
  });

  it('lets the worker scale: no container_name, no host ports, and it reaches the orchestrator gateway', () => {
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    for (const service of Object.values(compose.services)) expect(service.container_name).toBeUndefined();
    const env = envOf(worker);
    expect(env.ORCHESTRATOR_URL).toBe(`ws://orchestrator:${defaults.wsPort}`);
    expect(env.WORKER_TOKEN).toBe('<WORKER_TOKEN>');
    expect(worker.command).toEqual(['npm', 'run', 'worker']);
  });

  it('only sets variables the code reads (server/config.ts for the orchestrator, worker/config.ts for workers)', () => {
    const serverSource = read('server/config.ts');
    const workerSource = read('worker/config.ts');
    const unread = (env: Record<string, string>, source: string) =>
      Object.keys(env).filter((name) => !new RegExp(`\\b${name}\\b`).test(source));
    expect(unread(envOf(orchestrator), serverSource)).toEqual([]);
    expect(unread(envOf(worker), workerSource)).toEqual([]);
    // The worker must never be handed the orchestrator's keys.
    expect(Object.keys(envOf(worker))).not.toEqual(expect.arrayContaining(['MASTER_KEY']));
    expect(Object.keys(envOf(worker))).not.toEqual(expect.arrayContaining(['TEAM_API_KEY']));
  });

  it('uses the npm scripts that exist and a Dockerfile that exposes and health-checks the ports', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    expect(scripts.orchestrator).toBeDefined();
    expect(scripts.worker).toBeDefined();
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim/m);
    expect(dockerfile).toMatch(/^EXPOSE 3001 8443$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
