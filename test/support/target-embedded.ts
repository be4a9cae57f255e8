// setupFiles of the integration-embedded jest project: test-db-target.ts reads it. The
// embedded default (PostgreSQL run as a child process); SNAPSTACK_TEST_DB=pglite runs the
// same suites on PGlite (SNAPSTACK_DB=pglite) by hand.
process.env.SNAPSTACK_TEST_DB = process.env.SNAPSTACK_TEST_DB === 'pglite' ? 'pglite' : 'embedded';
export {};
