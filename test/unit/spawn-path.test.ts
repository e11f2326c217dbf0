import { chooseSpawnPath, nativeSpawnProblem, probeNative } from '../../worker/cli-spawn';

/**
 * WORKER_SPAWN resolved without the native module (not built: no compiler where npm install ran, or an
 * old kernel): `auto` falls back to Node's spawn, `posix` refuses with the variable named.
 */

it('falls back to Node\'s spawn when the module was not built, and says why', () => {
  const probe = probeNative(() => {
    throw new Error("Cannot find module '@personas-cloud/posix-spawn/build/Release/posix_spawn.node'\nRequire stack: …");
  });
  expect(chooseSpawnPath('auto', probe)).toBe('node');
  expect(chooseSpawnPath('node', probe)).toBe('node');
  expect(nativeSpawnProblem(probe)).toBe("Cannot find module '@personas-cloud/posix-spawn/build/Release/posix_spawn.node'");
  expect(() => chooseSpawnPath('posix', probe)).toThrow(/^WORKER_SPAWN=posix: the native spawn module is not available \(Cannot find module/);
});

it('falls back when the kernel has no pidfd_open (a child could not be watched)', () => {
  const probe = probeNative(() => ({ supported: () => false }));
  expect(chooseSpawnPath('auto', probe)).toBe('node');
  expect(nativeSpawnProblem(probe)).toMatch(/pidfd_open is not available/);
});

it('takes posix_spawn when the module loads and the kernel can watch children', () => {
  const probe = probeNative(() => ({ supported: () => true }));
  expect(chooseSpawnPath('auto', probe)).toBe('posix');
  expect(chooseSpawnPath('posix', probe)).toBe('posix');
  expect(chooseSpawnPath('node', probe)).toBe('node');
  expect(nativeSpawnProblem(probe)).toBeUndefined();
});
