#!/usr/bin/env bash
# The test command: installs what is missing, starts a private PostgreSQL unless
# DATABASE_URL is set, builds, and runs every test against that real server.
#   ops/test.sh [extra `swift test` arguments, e.g. --filter QueueTests]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"

ops/install-deps.sh --tests
DATABASE_URL="$(ops/pg-up.sh)"
export DATABASE_URL
echo "tests use $(echo "$DATABASE_URL" | sed -E 's#://([^:@/]+):[^@/]+@#://\1:***@#')" >&2

echo "building (debug, with tests)…" >&2
swift build --build-tests -q
# Serially: the suite's worker, process and timeout tests share two cores; run in parallel
# they starve each other's cooperative threads for seconds (slowServerTimesOut saw 12 s,
# a cancelled worker 12 s instead of 20 ms). Serial: ~2 minutes, and no test waits on
# another's CPU.
swift test --skip-build --no-parallel "$@"
