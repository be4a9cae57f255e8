// setupFilesAfterEnv of the projects that start containers: jest 29 has no
// per-project testTimeout, so it is set here.
jest.setTimeout(60_000);
export {};
