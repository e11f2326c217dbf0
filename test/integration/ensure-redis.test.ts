import fs from 'node:fs';
import { ensureRedis, findOnPath, freePort, pingRedis, RedisUnavailableError } from '../../scripts/ensure-redis';
import { REDIS_URL, tempDir } from '../helpers/env';

describe('ensureRedis', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('pc-redis');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses a Redis that answers and starts nothing', async () => {
    const r = await ensureRedis({ url: REDIS_URL, dataDir: dir });
    expect(r).toMatchObject({ url: REDIS_URL, started: false });
    await r.stop();
    expect(await pingRedis(REDIS_URL)).toBe('ok');
  });

  const withServer = findOnPath('redis-server') ? it : it.skip;
  withServer('starts a private redis-server on the free local port of the URL and stops it', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    expect(await pingRedis(url, 300)).toBe('unreachable');
    const lines: string[] = [];
    const r = await ensureRedis({ url, dataDir: dir, log: (l) => lines.push(l) });
    try {
      expect(r).toMatchObject({ url, started: true });
      expect(await pingRedis(r.url)).toBe('ok');
      expect(fs.existsSync(`${dir}/redis`)).toBe(true);
      expect(lines.join('\n')).toContain('starting a private redis-server');
    } finally {
      await r.stop();
    }
    expect(await pingRedis(url, 300)).toBe('unreachable');
  });

  it('fails with one message naming the ways to get Redis when no redis-server exists', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const attempt = ensureRedis({ url, dataDir: dir, redisServer: null });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
    const message = await attempt.catch((e: Error) => e.message);
    for (const hint of ['apt-get install redis-server', 'brew install redis', 'docker compose --profile dev up -d redis', 'REDIS_URL=']) {
      expect(message).toContain(hint);
    }
  });

  it('reports a Redis that refuses our password instead of starting another', async () => {
    const u = new URL(REDIS_URL);
    u.username = 'nobody-here';
    u.password = 'wrong-password';
    const attempt = ensureRedis({ url: u.toString(), dataDir: dir, redisServer: null });
    await expect(attempt).rejects.toThrow(/answered but refused us/);
    await expect(attempt).rejects.not.toThrow(/wrong-password/);
  });
});
