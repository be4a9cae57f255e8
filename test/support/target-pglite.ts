// setupFiles of the integration-pglite jest project: test-db-target.ts reads it.
process.env.SNAPSTACK_TEST_DB = 'pglite';
export {};
