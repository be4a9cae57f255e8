// setupFiles of the integration-pg jest project: test-db-target.ts reads it.
process.env.SNAPSTACK_TEST_DB = 'pg';
export {};
