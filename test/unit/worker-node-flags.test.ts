import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { WORKER_NODE_FLAGS } from '../../worker/node-flags';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Every place a worker process is started passes the same Node flags (the image's CMD equals compose's: compose.test). */
describe('WORKER_NODE_FLAGS', () => {
  const script = 'dist/worker/main.js';

  it('are on the worker service of docker-compose.yml and in the worker image', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { command?: string[] }> };
    expect(compose.services.worker.command).toEqual(['node', ...WORKER_NODE_FLAGS, script]);
    expect(read('Dockerfile')).toContain(`CMD ${JSON.stringify(['node', ...WORKER_NODE_FLAGS, script]).replace(/","/g, '", "')}`);
  });

  it('are in npm run worker, and npm start passes them to its local workers', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.worker).toBe(['exec node', ...WORKER_NODE_FLAGS, script].join(' '));
    expect(read('scripts/start.ts')).toMatch(/startNodeChild\(\{ name, script: WORKER_SCRIPT, env, nodeFlags: WORKER_NODE_FLAGS \}\)/);
  });

  it('are flags this Node accepts', () => {
    const { status, stderr } = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', '0'], { encoding: 'utf8' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});
