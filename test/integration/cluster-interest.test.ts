import IORedis from 'ioredis';
import pino from 'pino';
import { ClusterBus } from '../../server/cluster/cluster-bus';
import { clusterKeys } from '../../server/cluster/keys';
import { REDIS_URL, uniquePrefix } from '../helpers/env';

/** Two orchestrators' buses on a real Redis: a run's output is published only where someone follows it elsewhere. */

const logger = pino({ level: 'silent' });
let a: ClusterBus;
let b: ClusterBus;
let prefix: string;

beforeEach(async () => {
  prefix = uniquePrefix('interest');
  const keys = clusterKeys(prefix);
  a = new ClusterBus({ redisUrl: REDIS_URL, keys, instanceId: 'a', logger });
  b = new ClusterBus({ redisUrl: REDIS_URL, keys, instanceId: 'b', logger });
  await Promise.all([a.start(), b.start()]);
});

afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
  const redis = new IORedis(REDIS_URL);
  const stale = await redis.keys(`${prefix}:*`);
  if (stale.length) await redis.del(...stale);
  await redis.quit();
});

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('knows a run is followed elsewhere once another instance subscribed to it, and not before', async () => {
  expect(a.followedElsewhere('run-1')).toBe(false);
  const seen: unknown[] = [];
  const sub = b.followRun('run-1', (m) => seen.push(m));
  await sub.ready;
  await until(() => a.followedElsewhere('run-1'));
  expect(a.followedElsewhere('run-2')).toBe(false);
  // Its own followers do not count: B never hears its own `follow`.
  expect(b.followedElsewhere('run-1')).toBe(false);
  await a.publishRun('run-1', { kind: 'output', event: { seq: 0 } });
  await until(() => seen.length === 1);
  sub.off();
});

it('tells an instance that starts (a restart) what is followed elsewhere at once, not at the next refresh', async () => {
  const sub = b.followRun('run-3', () => undefined);
  await sub.ready;
  const c = new ClusterBus({ redisUrl: REDIS_URL, keys: clusterKeys(prefix), instanceId: 'c', logger });
  try {
    await c.start();
    await until(() => c.followedElsewhere('run-3'), 2_000); // the refresh is every 20 s
  } finally {
    sub.off();
    await c.close();
  }
});
