import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, ORCHESTRATOR_ENV_NAMES } from '../../server/config';
import { loadWorkerConfig, WORKER_ENV_NAMES } from '../../worker/config';
import { FILE_VARIANTS } from '../../shared/env-sources';
import { TEST_KEYS } from '../helpers/env';

/**
 * No Docker engine runs where the tests run, so this reads docker-compose.yml and the Dockerfile and
 * checks them against the configuration the code actually reads and the README documents.
 */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

type SecretRef = string | { source: string; uid?: string; gid?: string; mode?: number };
interface Service {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[] | string;
  ports?: string[];
  environment?: Record<string, string> | string[];
  container_name?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  profiles?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  secrets?: SecretRef[];
  user?: string;
  security_opt?: string[];
  init?: boolean;
}
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { environment?: string; file?: string }>;
};
const { redis, orchestrator, worker } = compose.services;
const queueRedis = compose.services['queue-redis'];

/** `${NAME:-default}` → default, `${NAME:?message}` / `${NAME}` → `<NAME>`: what compose would substitute with no .env. */
const interpolate = (s: string) =>
  s.replace(/\$\{(\w+)(?::?-([^}]*)|:?\?[^}]*)?\}/g, (_, name: string, def?: string) => def ?? `<${name}>`);

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const entries = Array.isArray(env) ? env.map((e) => e.split('=', 2) as [string, string]) : Object.entries(env);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(String(v ?? ''))]));
}

const secretNames = (service: Service) => (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
/** Seconds of a compose duration such as `45s`, `1m30s`. */
const seconds = (d: string) => [...d.matchAll(/(\d+)(h|m|s)/g)].reduce((t, [, n, u]) => t + Number(n) * { h: 3600, m: 60, s: 1 }[u as 'h' | 'm' | 's'], 0);
const containerPorts = (service: Service) => (service.ports ?? []).map((p) => Number(interpolate(p).split(':').pop()));
/** A variable a service reads, given as itself or (for the secrets) as NAME_FILE. */
const reads = (names: readonly string[], variable: string) =>
  names.includes(variable) || (variable.endsWith('_FILE') && (FILE_VARIANTS as readonly string[]).includes(variable.slice(0, -5)) && names.includes(variable.slice(0, -5)));

/** Names in the first column of the README table under `heading`. */
function readmeTable(heading: string): string[] {
  const readme = read('README.md');
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const next = readme.slice(start + heading.length + 2).search(/\n#{2,4} /);
  const section = readme.slice(start, next === -1 ? undefined : start + heading.length + 2 + next);
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)`(?:, `([A-Z][A-Z0-9_]+)`)?(?:, `([A-Z][A-Z0-9_]+)`)?/gm)].flatMap((m) => m.slice(1).filter(Boolean));
}

/** The Dockerfile's stages: `FROM … AS name` → its lines. */
function dockerStages(): Record<string, string> {
  const stages: Record<string, string> = {};
  let current = '';
  for (const line of read('Dockerfile').split('\n')) {
    const from = /^FROM \S+(?: AS (\S+))?/i.exec(line);
    if (from) current = from[1] ?? `stage${Object.keys(stages).length}`;
    if (current) stages[current] = `${stages[current] ?? ''}${line}\n`;
  }
  return stages;
}
const stages = dockerStages();
/** A stage's text with the stages it is built FROM (the runtime base). */
const stageWithBase = (name: string): string => {
  const base = /^FROM (\S+)/m.exec(stages[name])![1];
  return (stages[base] ? stageWithBase(base) : '') + stages[name];
};
const cmdOf = (stage: string) => JSON.parse(/^CMD (\[.*\])$/m.exec(stages[stage])![1]) as string[];

const defaults = loadConfig(TEST_KEYS);
const workerDefaults = loadWorkerConfig({ WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN });

describe('docker-compose.yml', () => {
  it('has the stack (queue-redis, orchestrator, worker), a development Redis, and the ha profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'ha-balancer', 'ha-orchestrator-1', 'ha-orchestrator-2', 'ha-postgres', 'ha-redis', 'ha-worker',
      'orchestrator', 'queue-redis', 'redis', 'worker',
    ]);
    for (const name of ['orchestrator', 'queue-redis', 'worker']) expect(compose.services[name].profiles).toBeUndefined();
  });

  it('runs Redis 7 with AOF persistence and noeviction (BullMQ loses jobs under eviction), health-checked, on a volume', () => {
    for (const service of [queueRedis, redis]) {
      expect(service.image).toMatch(/^redis:7/);
      const command = ([] as string[]).concat(service.command ?? []).join(' ');
      expect(command).toMatch(/--appendonly yes/);
      expect(command).toMatch(/--maxmemory-policy noeviction/);
      expect(service.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
      expect(service.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    }
    expect(queueRedis.volumes).not.toEqual(redis.volumes); // two servers never share one AOF
  });

  it('publishes Redis to the host only under the dev profile, and then on loopback only', () => {
    expect(queueRedis.ports ?? []).toEqual([]);
    expect(queueRedis.profiles).toBeUndefined();
    expect(redis.profiles).toEqual(['dev']);
    expect(redis.ports).toEqual(['127.0.0.1:6379:6379']);
    // The stack's Redis needs a password, and the orchestrator's REDIS_URL carries the same one.
    const queueCommand = ([] as string[]).concat(queueRedis.command ?? []).map(interpolate);
    expect(queueCommand.slice(queueCommand.indexOf('--requirepass'))).toEqual(['--requirepass', '<REDIS_PASSWORD>']);
    expect(envOf(queueRedis).REDISCLI_AUTH).toBe('<REDIS_PASSWORD>');
    expect(envOf(orchestrator).REDIS_URL).toBe('redis://:<REDIS_PASSWORD>@queue-redis:6379');
    expect(read('.env.example')).toMatch(/^REDIS_PASSWORD=$/m);
    expect(orchestrator.depends_on?.['queue-redis'].condition).toBe('service_healthy');
    expect(read('README.md')).toContain('docker compose --profile dev up -d redis');
  });

  it('publishes only the API, on loopback unless HOST says otherwise; the gateway and Redis stay on the compose network', () => {
    expect(defaults.httpPort).toBe(3001);
    expect(defaults.wsPort).toBe(8443);
    expect(containerPorts(orchestrator)).toEqual([defaults.httpPort]);
    expect((orchestrator.ports ?? []).map(interpolate)).toEqual(['127.0.0.1:3001:3001']);
    const env = envOf(orchestrator);
    expect(env.HOST).toBe('0.0.0.0'); // inside the container
    expect(Number(env.HTTP_PORT)).toBe(defaults.httpPort);
    expect(Number(env.WS_PORT)).toBe(defaults.wsPort);
    for (const service of Object.values(compose.services)) expect(service.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
  });

  it('gives the orchestrator its data volume, production mode and the three secrets as Docker secrets, never as variables', () => {
    const env = envOf(orchestrator);
    expect(env.NODE_ENV).toBe('production');
    const dbDir = path.posix.dirname(env.DAC_DB_PATH);
    expect(orchestrator.volumes?.some((v) => v.endsWith(`:${dbDir}`))).toBe(true);
    for (const [variable, secret] of [['MASTER_KEY', 'master_key'], ['TEAM_API_KEY', 'team_api_key'], ['WORKER_TOKEN', 'worker_token']]) {
      expect(env[variable]).toBeUndefined();
      expect(env[`${variable}_FILE`]).toBe(`/run/secrets/${secret}`);
      expect(secretNames(orchestrator)).toContain(secret);
      expect(compose.secrets?.[secret]).toEqual({ environment: variable });
    }
    // Compose interpolates nothing secret into a service's environment.
    expect(composeText).not.toMatch(/\$\{(MASTER_KEY|TEAM_API_KEY|WORKER_TOKEN)\b/);
  });

  it('lets the worker scale, reach the gateway, and hands it only its own token', () => {
    const env = envOf(worker);
    expect(env.ORCHESTRATOR_URL).toBe(`ws://orchestrator:${defaults.wsPort}`);
    expect(env.WORKER_TOKEN_FILE).toBe('/run/secrets/worker_token');
    expect(secretNames(worker)).toEqual(['worker_token']);
    for (const name of ['MASTER_KEY', 'TEAM_API_KEY', 'CLAUDE_TOKEN']) {
      expect(env[name]).toBeUndefined();
      expect(env[`${name}_FILE`]).toBeUndefined();
    }
    expect(worker.depends_on?.orchestrator.condition).toBe('service_healthy');
  });

  it('runs the worker as root with the namespaces bubblewrap needs, in production mode, with isolation on', () => {
    const env = envOf(worker);
    expect(worker.user).toBe('0:0');
    expect(worker.security_opt?.sort()).toEqual(['apparmor=unconfined', 'seccomp=unconfined']);
    expect(env.NODE_ENV).toBe('production');
    expect(env.WORKER_SANDBOX).toBe('auto');
    expect(env.WORKER_SANDBOX_DENY.split(',')).toContain('/run/secrets');
    expect(composeText).toMatch(/WORKER_SANDBOX=uid/); // the documented fallback where those are not granted
    const workerSecret = worker.secrets?.find((s) => typeof s !== 'string' && s.source === 'worker_token');
    expect(workerSecret).toMatchObject({ uid: '0', mode: 0o400 });
  });

  it('waits long enough on stop: the worker covers SHUTDOWN_GRACE_MS + KILL_GRACE_MS, and node receives the signal', () => {
    expect(seconds(interpolate(worker.stop_grace_period ?? '0s')) * 1000).toBeGreaterThan(workerDefaults.shutdownGraceMs + workerDefaults.killGraceMs);
    expect(Number(envOf(worker).SHUTDOWN_GRACE_MS)).toBe(workerDefaults.shutdownGraceMs);
    expect(Number(envOf(worker).KILL_GRACE_MS)).toBe(workerDefaults.killGraceMs);
    expect(seconds(orchestrator.stop_grace_period ?? '0s')).toBeGreaterThanOrEqual(15);
    for (const service of [orchestrator, worker]) {
      expect(service.init).toBe(true);
      expect(([] as string[]).concat(service.command ?? [])[0]).toBe('node'); // never npm or a shell
    }
  });

  it('only sets variables the code reads (server/config.ts for the orchestrator, worker/config.ts for workers)', () => {
    const unread = (env: Record<string, string>, names: readonly string[]) => Object.keys(env).filter((v) => !reads(names, v));
    expect(unread(envOf(orchestrator), ORCHESTRATOR_ENV_NAMES)).toEqual([]);
    expect(unread(envOf(worker), WORKER_ENV_NAMES)).toEqual([]);
  });

  it('passes every variable the code reads to its service, but for a few fixed by the image (with the reason)', () => {
    const notPassed: Record<string, string> = {
      KAFKA_BROKERS: 'accepted for the guide but unused', KAFKA_USERNAME: 'unused', KAFKA_PASSWORD: 'unused',
      PATH: "the image's", LANG: "the image's", LC_ALL: "the image's", TZ: "the image's (UTC)",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: 'WORKER_PASS_ENV-style expert setting',
    };
    const missing = (names: readonly string[], env: Record<string, string>) =>
      names.filter((v) => !(v in notPassed) && !(v in env) && !(`${v}_FILE` in env));
    expect(missing(ORCHESTRATOR_ENV_NAMES, envOf(orchestrator))).toEqual([]);
    expect(missing(WORKER_ENV_NAMES, envOf(worker))).toEqual([]);
  });

  it('passes every setting the README documents to the service that reads it', () => {
    // Accepted for the guide's compatibility but unused (the README says so).
    const unused = new Set(['KAFKA_BROKERS', 'KAFKA_USERNAME', 'KAFKA_PASSWORD']);
    const orchestratorEnv = envOf(orchestrator);
    const missing = (documented: string[], env: Record<string, string>) =>
      documented.filter((v) => !unused.has(v) && !(v in env) && !(`${v}_FILE` in env));
    const orchestratorDocs = readmeTable('### Orchestrator (`server/config.ts`)');
    const workerDocs = readmeTable('### Worker (`worker/config.ts`)');
    expect(orchestratorDocs.length).toBeGreaterThan(10);
    expect(workerDocs.length).toBeGreaterThan(8);
    expect(missing(orchestratorDocs, orchestratorEnv)).toEqual([]);
    expect(missing(workerDocs, envOf(worker))).toEqual([]);
  });

  it('names only variables .env.example documents, so a user can find what to set', () => {
    const example = read('.env.example');
    const interpolated = [...new Set([...composeText.matchAll(/\$\{(\w+)/g)].map((m) => m[1]))];
    const secretSources = Object.values(compose.secrets ?? {}).map((s) => s.environment!).filter(Boolean);
    expect([...interpolated, ...secretSources].filter((v) => !new RegExp(`^#? ?${v}=`, 'm').test(example))).toEqual([]);
  });
});

describe('docker-compose.yml, profile ha (several orchestrators)', () => {
  const ha = (name: string) => compose.services[`ha-${name}`];
  const orchestrators = [ha('orchestrator-1'), ha('orchestrator-2')];
  const nginx = read('deploy/ha/nginx.conf');

  it('puts PostgreSQL, Redis, two orchestrators, the balancer and the workers in the profile, and only them', () => {
    const inHa = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('ha')).map(([n]) => n).sort();
    expect(inHa).toEqual(['ha-balancer', 'ha-orchestrator-1', 'ha-orchestrator-2', 'ha-postgres', 'ha-redis', 'ha-worker']);
    for (const name of inHa) expect(compose.services[name].profiles).toEqual(['ha']);
    // Started by naming the balancer and the workers: the rest follows from depends_on.
    expect(read('README.md')).toContain('docker compose --profile ha up -d ha-balancer ha-worker');
    expect(Object.keys(ha('balancer').depends_on ?? {}).sort()).toEqual(['ha-orchestrator-1', 'ha-orchestrator-2']);
    expect(Object.keys(ha('worker').depends_on ?? {})).toEqual(['ha-balancer']);
    for (const o of orchestrators) expect(Object.keys(o.depends_on ?? {}).sort()).toEqual(['ha-postgres', 'ha-redis']);
  });

  it('runs Redis with AOF and noeviction, and PostgreSQL, both health-checked on volumes of their own', () => {
    const command = ([] as string[]).concat(ha('redis').command ?? []).map(interpolate).join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(command).toMatch(/--requirepass <REDIS_PASSWORD>/);
    expect(ha('redis').healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(ha('redis').volumes).toEqual(['ha-redis-data:/data']);
    expect(ha('postgres').image).toMatch(/^postgres:\d+/);
    expect(ha('postgres').healthcheck?.test?.[1]).toBe('pg_isready');
    expect(ha('postgres').volumes).toEqual(['ha-postgres-data:/var/lib/postgresql/data']);
    expect(read('.env.example')).toMatch(/^# ?POSTGRES_PASSWORD=/m);
  });

  it('gives both orchestrators the same PostgreSQL, Redis and prefix, an INSTANCE_ID each, and no host port', () => {
    const configs = orchestrators.map((o) => {
      const env = envOf(o);
      expect(o.ports).toEqual([]);
      expect(env.DATABASE_URL).toBe('postgres://personas:<POSTGRES_PASSWORD>@ha-postgres:5432/personas');
      expect(env.REDIS_URL).toBe('redis://:<REDIS_PASSWORD>@ha-redis:6379');
      expect(o.build).toEqual({ context: '.', target: 'orchestrator' });
      expect(secretNames(o).sort()).toEqual(['master_key', 'team_api_key', 'worker_token']);
      // What the orchestrator would parse (the secrets come from files in the container).
      return loadConfig({ ...env, ...TEST_KEYS, MASTER_KEY_FILE: '', TEAM_API_KEY_FILE: '', WORKER_TOKEN_FILE: '', DATABASE_URL: 'postgres://personas:pw@ha-postgres:5432/personas', REDIS_URL: 'redis://:pw@ha-redis:6379' });
    });
    expect(configs.map((c) => c.instanceId)).toEqual(['orchestrator-1', 'orchestrator-2']);
    expect(configs.every((c) => c.database.client === 'postgres')).toBe(true);
    expect(new Set(configs.map((c) => c.queuePrefix)).size).toBe(1);
    expect(new Set(orchestrators.flatMap((o) => o.volumes ?? [])).size).toBe(2);
    const unread = (env: Record<string, string>, names: readonly string[]) => Object.keys(env).filter((v) => !reads(names, v));
    for (const o of orchestrators) expect(unread(envOf(o), ORCHESTRATOR_ENV_NAMES)).toEqual([]);
  });

  it('balances both the API and the gateway over both orchestrators, with websocket upgrade and no stickiness', () => {
    expect(ha('balancer').image).toMatch(/^nginx:/);
    expect(ha('balancer').volumes).toEqual(['./deploy/ha/nginx.conf:/etc/nginx/nginx.conf:ro']);
    expect((ha('balancer').ports ?? []).map(interpolate)).toEqual([`127.0.0.1:3001:${defaults.httpPort}`]);
    for (const [upstream, port] of [['api', defaults.httpPort], ['gateway', defaults.wsPort]] as const) {
      const block = new RegExp(`upstream ${upstream} \\{([^}]*)\\}`).exec(nginx)?.[1] ?? '';
      expect([...block.matchAll(/server (\S+?):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`)).toEqual([`ha-orchestrator-1:${port}`, `ha-orchestrator-2:${port}`]);
      expect(nginx).toMatch(new RegExp(`listen ${port};[\\s\\S]*?proxy_pass http://${upstream};`));
    }
    expect(nginx.match(/proxy_set_header Upgrade \$http_upgrade;/g)).toHaveLength(2);
    expect(nginx.match(/proxy_set_header Connection \$connection_upgrade;/g)).toHaveLength(2);
    expect(nginx).toMatch(/proxy_buffering off;/); // SSE streams as it comes
    expect(nginx).not.toMatch(/ip_hash|hash \$|sticky/);
  });

  it('points the workers at the balancer, in a form the worker accepts', () => {
    const env = envOf(ha('worker'));
    expect(env.ORCHESTRATOR_URL).toBe(`ws://ha-balancer:${defaults.wsPort}`);
    expect(loadWorkerConfig({ WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN, ORCHESTRATOR_URL: env.ORCHESTRATOR_URL }).orchestratorUrls).toEqual([`http://ha-balancer:${defaults.wsPort}`]);
    expect(ha('worker').user).toBe('0:0');
    expect(secretNames(ha('worker'))).toEqual(['worker_token']);
    const unread = Object.keys(env).filter((v) => !reads(WORKER_ENV_NAMES, v));
    expect(unread).toEqual([]);
  });
});

describe('Dockerfile', () => {
  it('has separate build targets for the orchestrator and the worker, used by compose', () => {
    expect(orchestrator.build).toEqual({ context: '.', target: 'orchestrator' });
    expect(worker.build).toEqual({ context: '.', target: 'worker' });
    expect(stages.orchestrator).toBeDefined();
    expect(stages.worker).toBeDefined();
    expect(orchestrator.image).not.toBe(worker.image);
  });

  it('starts node directly in each image, with the same command compose uses, on files the build produces', () => {
    for (const [stage, service] of [['orchestrator', orchestrator], ['worker', worker]] as const) {
      const cmd = cmdOf(stage);
      expect(cmd).toEqual(service.command);
      expect(cmd[0]).toBe('node');
      expect(fs.existsSync(path.join(ROOT, cmd[cmd.length - 1].replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    }
    expect(read('Dockerfile')).not.toMatch(/npm run (orchestrator|worker)/);
    expect(read('Dockerfile')).not.toMatch(/dangerously-skip-permissions/);
  });

  it('builds the worker\'s native spawn module before installing, and ships it in the worker image', () => {
    const build = stages.build;
    const copyNative = build.indexOf('COPY worker/native ./worker/native');
    expect(copyNative).toBeGreaterThan(-1);
    expect(copyNative).toBeLessThan(build.indexOf('npm ci'));
    expect(build).toMatch(/npm rebuild/);
    // Copied into node_modules (not linked), so the worker image's node_modules holds the build.
    expect(read('.npmrc')).toMatch(/^install-links=true$/m);
    expect(build).toMatch(/COPY package\.json package-lock\.json \.npmrc/);
    expect(stages.worker).toMatch(/COPY --from=build \/app\/node_modules/);
    expect(JSON.parse(read('package.json')).optionalDependencies['@personas-cloud/posix-spawn']).toBe('file:worker/native');
  });

  it('keeps the Claude CLI and the sandbox tools out of the orchestrator image', () => {
    const orch = stageWithBase('orchestrator');
    expect(orch).toMatch(/COPY --from=orchestrator-modules/);
    expect(orch).not.toMatch(/COPY --from=build/);
    expect(stages['orchestrator-modules']).toMatch(/rm -rf node_modules\/@anthropic-ai\/claude-code node_modules\/@anthropic-ai\/claude-code-\*/);
    for (const tool of ['bubblewrap', 'socat', 'util-linux', 'git']) expect(orch).not.toMatch(new RegExp(`\\b${tool}\\b`));
    expect(orch).toMatch(/^USER node$/m);
  });

  it('installs the CLI and bubblewrap, socat and util-linux in the worker image, which runs as root', () => {
    const w = stageWithBase('worker');
    expect(w).toMatch(/COPY --from=build \/app\/node_modules/);
    expect(w).toMatch(/apt-get install[^\n]*\bbubblewrap\b[^\n]*\bsocat\b[^\n]*\butil-linux\b/);
    expect(w).not.toMatch(/^USER node$/m);
  });

  it('exposes and health-checks the orchestrator on its ports', () => {
    expect(stages.build).toMatch(/^FROM node:20-bookworm-slim AS build/m);
    expect(stages.orchestrator).toMatch(/^EXPOSE 3001 8443$/m);
    expect(stages.orchestrator).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    expect(stages.orchestrator).toMatch(/^VOLUME \["\/app\/data"\]$/m);
  });
});
