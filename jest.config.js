/** Unit tests run in parallel; integration tests share one real Temporal dev server and run in band. */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // A global option in Jest 30 (ignored inside a project): integration tests wait on real runs.
  testTimeout: 180000,
  // Snapshots (the prompts a model reads) are reviewed, never written on the fly: a missing or
  // obsolete one fails the run. Write them on purpose with `--ci=false -u`.
  ci: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/globalSetup.js',
      globalTeardown: '<rootDir>/test/integration/globalTeardown.js',
    },
    // Opt-in (`npm run test:cluster`, not in `npm test`): a real Temporal server on PostgreSQL, started by the tests.
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.test.ts'] },
    // Opt-in (`npm run test:large`, not in `npm test`): runs of minutes, on the integration tests' dev server.
    {
      ...common,
      displayName: 'large',
      testMatch: ['<rootDir>/test/large/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/globalSetup.js',
      globalTeardown: '<rootDir>/test/integration/globalTeardown.js',
    },
    // Opt-in (`npm run test:dpo`, not in `npm test`): the DPO trainer (torch, 2 GB) and a trained adapter.
    { ...common, displayName: 'dpo', testMatch: ['<rootDir>/test/dpo/**/*.test.ts'] },
  ],
};
