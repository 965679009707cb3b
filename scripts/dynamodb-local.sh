#!/usr/bin/env bash
# Fetches AWS's DynamoDB Local (the jar and its native libraries) into
# .cache/dynamodb-local (or $TOLLGATE_DYNAMODB_LOCAL_DIR) for the store tests.
# The jar ships inside the npm package amplify-dynamodb-simulator; the
# tarball is checked against its pinned npm integrity hash. Needs npm and,
# to run the server, Java 17 (openjdk-17-jre-headless). Safe to re-run: it
# does nothing when the server is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=amplify-dynamodb-simulator
VERSION=2.9.30 # DynamoDB Local 1.25.1
# npm's dist.integrity (sha512-xTeeRLvz…nSewQ==) as hex, checked with coreutils.
SHA512=c5379e44bbf311fab2779961ddb1f8734907bd21c79a6843e590ec1c5280439836665e89aa515dbad6908422c7cf1129e91cb5a3b4c1ea7888a17b9002749ec1
DIR=${TOLLGATE_DYNAMODB_LOCAL_DIR:-.cache/dynamodb-local}

if [ -f "$DIR/DynamoDBLocal.jar" ] && [ -f "$DIR/.version" ] && [ "$(cat "$DIR/.version")" = "$VERSION" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "dynamodb-local.sh: npm is needed to fetch DynamoDB Local" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== fetching DynamoDB Local ($PKG@$VERSION, about 60 MB, with npm) into $DIR:"
echo "   the DynamoDB store tests run against AWS's own emulator (it needs Java 17). Done once."
(cd "$work" && npm pack --loglevel http "$PKG@$VERSION" >/dev/null)
tgz="$work/$PKG-$VERSION.tgz"
got=$(sha512sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$SHA512" ]; then
  echo "dynamodb-local.sh: $PKG@$VERSION sha512 mismatch: got $got, want $SHA512" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work" package/emulator
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")"
mv "$work/package/emulator" "$DIR"
echo "$VERSION" >"$DIR/.version"
echo "DynamoDB Local is in $DIR"
