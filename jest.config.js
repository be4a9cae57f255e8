'use strict';
// Seven projects, one run (`npm test`). globalSetup/globalTeardown sit on the
// projects that need PostgreSQL and Docker: jest runs them once when any of
// those projects has tests to run, and not at all for `--selectProjects unit`.
const path = require('path');
const ts = require('typescript');

// Transpile only (no type-check per file: `npm run typecheck` does that).
// ts-jest 29.4 deprecates its own isolatedModules option in favour of the
// tsconfig's; use the tsconfig's when it is there, so nothing warns.
const tsconfigPath = path.join(__dirname, 'tsconfig.json');
const tsconfig = ts.readConfigFile(tsconfigPath, ts.sys.readFile).config || {};
const tsJest = { tsconfig: tsconfigPath };
if (!(tsconfig.compilerOptions && tsconfig.compilerOptions.isolatedModules)) tsJest.isolatedModules = true;

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', tsJest],
    '/node_modules/@electric-sql/pglite/dist/.+\\.cjs$': '<rootDir>/test/support/builtin-import-transform.js',
  },
  // node_modules stay untransformed, but for PGlite (see builtin-import-transform.js).
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/pglite/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // `import ... from 'snapstack'` is the package as another project installs it: its package.json
  // main, i.e. the built dist/ (npm test builds first).
  moduleNameMapper: { '^snapstack$': '<rootDir>' },
};

const withServices = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // jest 29 has no per-project testTimeout: 60 s for tests that start containers.
  setupFilesAfterEnv: ['<rootDir>/test/support/slow-tests.ts'],
};

module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  maxWorkers: 2,
  // No forceExit (issue 14): jobs stop on their AbortSignal at shutdown and the database pools
  // close after them, so the run ends on its own. Test files run in workers, which jest stops
  // itself (and names) if one leaks a handle; the main process holds only globalSetup's cluster.
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...base,
      ...withServices,
      displayName: 'integration-pg',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/target-pg.ts'],
    },
    {
      ...base,
      ...withServices,
      // The same API and store suites on the embedded default database (no DATABASE_URL).
      displayName: 'integration-embedded',
      testMatch: ['<rootDir>/test/integration/api/**/*.test.ts', '<rootDir>/test/integration/store/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/target-embedded.ts'],
    },
    {
      // Generated requests over every operation (issue 16); FUZZ_RUNS sets the count (10,000).
      ...base,
      ...withServices,
      displayName: 'fuzz',
      testMatch: ['<rootDir>/test/fuzz/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/target-pg.ts'],
    },
    {
      ...base,
      ...withServices,
      // Every compute and volume answer against tempest's response schemas (python3-tempest).
      displayName: 'schema',
      testMatch: ['<rootDir>/test/schema/**/*.test.ts'],
    },
    {
      ...base,
      ...withServices,
      displayName: 'compat',
      testMatch: ['<rootDir>/test/compat/**/*.test.ts'],
    },
    {
      ...base,
      ...withServices,
      // The dashboard in a real headless chromium (playwright-core) against a real Snapstack.
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/target-pg.ts'],
    },
  ],
};
