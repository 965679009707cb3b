#!/usr/bin/env bash
# Installs the client SDKs README.md's examples use that the machine does not
# have, for the README examples test (functions/gateway/readme_test.go):
# the AWS SDK for JavaScript v3 Bedrock runtime client, pinned, into
# .cache/sdk-clients (or $TOLLGATE_SDK_CLIENTS_DIR). Needs npm. Safe to
# re-run: it does nothing when the client is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=@aws-sdk/client-bedrock-runtime
VERSION=3.1178.0
DIR=${TOLLGATE_SDK_CLIENTS_DIR:-.cache/sdk-clients}

if [ -f "$DIR/.version" ] && [ "$(cat "$DIR/.version")" = "$VERSION" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "sdk-clients.sh: npm is needed to install $PKG" >&2; exit 1; }
echo "== installing $PKG@$VERSION with npm into $DIR:"
echo "   the README examples test runs README's JavaScript Bedrock example with it. Done once."
mkdir -p "$DIR"
npm install --prefix "$DIR" --no-audit --no-fund --no-save --loglevel http "$PKG@$VERSION"
echo "$VERSION" >"$DIR/.version"
