#!/usr/bin/env bash
# What `npm run test:cluster` needs, provisioned once and cached:
#   - the Temporal server and its SQL schema tool, v1.29.1, built from the Go module
#     proxy (`go install …@v1.29.1`, a few minutes on 2 cores, then cached) into
#     .tools/temporal-server/bin, with the postgres12 schemas copied beside them;
#   - PostgreSQL (Debian's `postgresql` package, apt-get when it is missing).
# Re-running it takes a second when everything is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=v1.29.1
TOOLS=.tools/temporal-server
BIN=$TOOLS/bin
say() { echo "provision: $*" >&2; }

if [ -x "$BIN/server" ] && [ -x "$BIN/sql" ] && "$BIN/server" --version 2>/dev/null | grep -q "${VERSION#v}"; then
  say "temporal server $VERSION: cached in $BIN"
else
  command -v go >/dev/null || { say "needs Go (https://go.dev/dl/) to build the Temporal server"; exit 1; }
  mkdir -p "$BIN"
  say "building temporal server + sql tool $VERSION with go install (a few minutes)…"
  t0=$(date +%s)
  # v1.29+ has no replace directive in go.mod, so `go install module@version` works.
  GOBIN="$PWD/$BIN" nice go install "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION"
  say "built in $(( $(date +%s) - t0 )) s"
  rm -f "$TOOLS/version"
fi
ln -sf sql "$BIN/temporal-sql-tool"   # the name the admin-tools image uses (scripts/cluster/schema.sh)
if [ ! -d "$TOOLS/schema/postgresql/v12" ] || [ ! -f "$TOOLS/version" ]; then
  MOD=$(go env GOMODCACHE)/go.temporal.io/server@$VERSION
  [ -d "$MOD/schema/postgresql/v12" ] || GOFLAGS=-mod=mod go mod download "go.temporal.io/server@$VERSION"
  rm -rf "$TOOLS/schema" && mkdir -p "$TOOLS/schema/postgresql"
  cp -r "$MOD/schema/postgresql/v12" "$TOOLS/schema/postgresql/" && chmod -R u+w "$TOOLS/schema"
fi
echo "$VERSION" > "$TOOLS/version"

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing PostgreSQL (apt-get install postgresql)…"
    apt-get -o DPkg::Lock::Timeout=300 install -y -q postgresql >/dev/null || { apt-get update -q >/dev/null && apt-get -o DPkg::Lock::Timeout=300 install -y -q postgresql >/dev/null; }
  else
    say "needs PostgreSQL server binaries (Debian/Ubuntu: sudo apt-get install postgresql)"; exit 1
  fi
fi
say "postgres: $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
command -v openssl >/dev/null || { say "needs openssl (TLS test certificates)"; exit 1; }
