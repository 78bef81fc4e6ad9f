/** Jest runs the TypeScript tests as ES modules through ts-jest (see the `test` script's --experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/temp-root/setup.js',
  globalTeardown: '<rootDir>/test/temp-root/teardown.js',
  // Integration tests start submission processes; two workers match the 2-core CI machine.
  maxWorkers: 2,
  // Jest's soft cleanup of globals trips over the event emitters of child processes.
  testEnvironmentOptions: { globalsCleanup: 'off' },
};
