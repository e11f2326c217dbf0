import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 30_000,
  // e2e suites spawn real processes; two at a time fits a 2-core machine.
  maxWorkers: 2,
  // A test that leaves a handle open fails the run instead of hanging it.
  detectOpenHandles: false,
  forceExit: false,
};

export default config;
