import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'personas-cloud';

/**
 * The version in personas-cloud's package.json, found by walking up from this file (the same code runs
 * from the sources under ts-jest and from `dist/`, at different depths). 'unknown' if it cannot be read.
 */
export function packageVersion(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // An unreadable package.json on the way up is not ours; keep climbing.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** Read once: the version does not change while the process runs. */
export const VERSION = packageVersion();
