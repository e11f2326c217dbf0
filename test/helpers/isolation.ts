import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { WorkerConfig } from '../../worker/config';
import { defaultClaudeBin } from '../../worker/config';
import { setUpIsolation, type Isolation } from '../../worker/sandbox/isolation';

/** The worker settings of the sandbox, as loadWorkerConfig would give them by default. */
export function sandboxConfig(over: Partial<WorkerConfig> & Pick<WorkerConfig, 'workDirRoot' | 'anthropicBaseUrl'>) {
  return {
    passThroughEnv: {} as Record<string, string>, sandbox: 'auto' as const, sandboxDeny: [], sandboxUidBase: 100_000, slots: 2, claudeBin: defaultClaudeBin(),
    allowedHosts: [], outputMaxBytes: 8 * 1024 * 1024, runMaxEvents: 50, production: false,
    ...over,
  };
}

/** The real isolation a worker would set up (bwrap here), under `workDirRoot`. Close it afterwards. */
export function testIsolation(over: Parameters<typeof sandboxConfig>[0]): Isolation {
  return setUpIsolation(sandboxConfig(over), pino({ level: 'silent' }));
}

/** A temp folder runs under their own uid can traverse (as /tmp is), like a real WORK_DIR_ROOT. */
export function workRoot(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  fs.chmodSync(dir, 0o711);
  return dir;
}

/**
 * What is left in a worker's folder besides its slots' empty run folders (`slot-<n>/{home,tmp,work}`,
 * kept between runs): anything a run left behind, a socket, or a folder of the old per-run kind.
 */
export function leftInRunFolders(workerDir: string): string[] {
  const left: string[] = [];
  for (const name of fs.readdirSync(workerDir)) {
    if (!/^slot-\d+$/.test(name)) {
      left.push(name);
      continue;
    }
    for (const sub of fs.readdirSync(path.join(workerDir, name))) {
      if (!['home', 'tmp', 'work'].includes(sub)) left.push(`${name}/${sub}`);
      else left.push(...fs.readdirSync(path.join(workerDir, name, sub)).map((n) => `${name}/${sub}/${n}`));
    }
  }
  return left;
}
