#!/usr/bin/env bash
# The main job, end to end: installs what is missing, starts a private PostgreSQL unless
# DATABASE_URL is set, builds (release), migrates, seeds demo accounts (when the database
# has none), then runs the worker over them — train the churn model, predict, score,
# evaluate interventions, deliver to loopback Slack and SMTP sinks, generate every report
# (stored in cs.reports and written as HTML to demo-reports/) — and prints a summary and
# how to open the web console (a sign-in token is made for it).
#   ops/demo.sh [--accounts N] [--seed S]
# With no DATABASE_URL, the demo uses its own database `cs_demo` on the private server.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"

ops/install-deps.sh
if [ -z "${DATABASE_URL:-}" ]; then
    SERVER="$(ops/pg-up.sh)"
    psql "$SERVER" -XtAc "SELECT 1 FROM pg_database WHERE datname = 'cs_demo'" | grep -q 1 \
        || psql "$SERVER" -Xqc "CREATE DATABASE cs_demo"
    DATABASE_URL="${SERVER%/*}/cs_demo"
fi
export DATABASE_URL

echo "building (release)…" >&2
swift build -c release -q
BIN=.build/release/cs-worker
"$BIN" migrate
"$BIN" schedule defaults
"$BIN" demo run "$@"
echo
"$BIN" status
echo
echo "Reports: open $(pwd)/demo-reports/index.html in a browser, or: $BIN report list; $BIN report retention" >&2
# A console sign-in token for this demo (an operator), kept beside the checkout (git ignores it).
TOKENS="$(pwd)/.demo-console-tokens"
ISSUED="$("$BIN" console-token --role operator --name demo)"
echo "$ISSUED" | sed -n 's/^line:  //p' > "$TOKENS"
chmod 600 "$TOKENS"
TOKEN="$(echo "$ISSUED" | sed -n 's/^token: //p')"
echo "Console: CS_CONSOLE_TOKENS=file:$TOKENS $BIN serve --http 127.0.0.1:8080" >&2
echo "         then open http://127.0.0.1:8080/ and sign in with the token $TOKEN" >&2
echo "Try: $BIN explain <account id>   $BIN deliveries   $BIN model list   psql \"\$DATABASE_URL\" -c 'SELECT * FROM cs.queue_overview'" >&2
