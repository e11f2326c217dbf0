/**
 * WORKER_SPAWN resolved without the native module (not built: no compiler where npm install ran, or an
 * old kernel): `auto` falls back to Node's spawn, `posix` refuses with the variable named.
 */

const MODULE = '@personas-cloud/posix-spawn/build/Release/posix_spawn.node';

function load(native: () => unknown): typeof import('../../worker/cli-spawn') {
  let mod!: typeof import('../../worker/cli-spawn');
  jest.isolateModules(() => {
    jest.doMock(MODULE, native, { virtual: true });
    mod = require('../../worker/cli-spawn') as typeof mod;
  });
  return mod;
}

afterEach(() => jest.dontMock(MODULE));

it('falls back to Node\'s spawn when the module was not built, and says why', () => {
  const m = load(() => {
    throw new Error(`Cannot find module '${MODULE}'\nRequire stack: …`);
  });
  expect(m.chooseSpawnPath('auto')).toBe('node');
  expect(m.chooseSpawnPath('node')).toBe('node');
  expect(m.nativeSpawnProblem()).toBe(`Cannot find module '${MODULE}'`);
  expect(() => m.chooseSpawnPath('posix')).toThrow(/^WORKER_SPAWN=posix: the native spawn module is not available \(Cannot find module/);
});

it('falls back when the kernel has no pidfd_open (a child could not be watched)', () => {
  const m = load(() => ({ supported: () => false }));
  expect(m.chooseSpawnPath('auto')).toBe('node');
  expect(m.nativeSpawnProblem()).toMatch(/pidfd_open is not available/);
});
