#!/usr/bin/env bash
# with-dynamodb-local.sh COMMAND [ARG...]: runs COMMAND with one DynamoDB Local
# for all of it. The server (fetched by scripts/dynamodb-local.sh into
# $TOLLGATE_DYNAMODB_LOCAL_DIR, default .cache/dynamodb-local) is started on a
# free loopback port and TOLLGATE_DYNAMODB_LOCAL_ENDPOINT names it, so the test
# binaries that need DynamoDB (dynamolocal.Main) share it instead of each
# starting a JVM (seconds of CPU, and a wait before the package's first test).
# It starts while go test compiles, and stops when COMMAND ends; COMMAND's exit
# status is the script's. Without the server installed, or without java,
# COMMAND runs alone and the tests start, skip or fail as they would.
set -uo pipefail

dir=${TOLLGATE_DYNAMODB_LOCAL_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.cache/dynamodb-local}
if [ ! -f "$dir/DynamoDBLocal.jar" ] || ! command -v java >/dev/null; then
  exec "$@"
fi

log=$(mktemp)
pid=
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; { wait "$pid"; } 2>/dev/null; fi
  rm -f "$log"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing answers on. The server is not waited for here: it starts
# while go test compiles, and dynamolocal.Main waits until it answers.
port=
for try in 1 2 3 4 5 6 7 8; do
  p=$((20000 + RANDOM % 30000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
if [ -z "$port" ]; then
  echo "with-dynamodb-local.sh: no free port found for DynamoDB Local" >&2
  exit 1
fi
(cd "$dir" && exec java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
  -inMemory -sharedDb -disableTelemetry -port "$port") >"$log" 2>&1 &
pid=$!

export TOLLGATE_DYNAMODB_LOCAL_ENDPOINT="http://127.0.0.1:$port"
"$@"
status=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "with-dynamodb-local.sh: DynamoDB Local on port $port exited before the command ended:" >&2
  cat "$log" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
