#!/bin/sh
# The crash test (test/integration/crash) run longer than CI: SNAPSTACK_CRASH_ROUNDS rounds
# (default 300) of kill -9 inside multi-step operations, restart, and the invariants checked.
# A new seed each run; SNAPSTACK_CRASH_SEED=<n> repeats one.
set -e
cd "$(dirname "$0")/.."
npm run build
SNAPSTACK_CRASH_ROUNDS="${SNAPSTACK_CRASH_ROUNDS:-300}" exec npx jest --selectProjects integration-pg --maxWorkers=1 test/integration/crash
