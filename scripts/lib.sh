# Shared helpers for the scripts in this folder (sourced, not run).

# Installs what building needs when it is missing: the C libraries diesel links (libpq, SQLite).
ensure_build_deps() {
  local missing=()
  pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
  pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Installs Debian's Chromium and ChromeDriver for the browser tests, and a font with Chinese
# glyphs so that the screenshots of zh-CN pages can be read.
ensure_browser() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy' || missing+=(fonts-wqy-microhei)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# A Python virtual environment in .venv with the given packages (pinned by the caller).
ensure_venv() {
  if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
  .venv/bin/pip install -q --disable-pip-version-check "$@"
}

# A TCP port on loopback that nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL answers 200, up to 60 s.
wait_for() {
  for _ in $(seq 1 600); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# Signs in and prints an access token: token BASE EMAIL
token() {
  curl -fs -X POST "$1/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"demo-password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# The Redocly CLI in .tools/redocly (npm, pinned by the caller): ensure_redocly VERSION
ensure_redocly() {
  local dir=.tools/redocly
  if [ "$(cat "$dir/version" 2>/dev/null)" != "$1" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "@redocly/cli@$1" >/dev/null
    echo "$1" >"$dir/version"
  fi
}

# Both linters on openapi.yaml; an error from either, or a warning from Redocly, fails.
lint_spec() {
  .venv/bin/openapi-spec-validator openapi.yaml
  local out
  out=$(NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off .tools/redocly/node_modules/.bin/redocly lint \
    --format stylish openapi.yaml 2>&1) || { echo "$out" >&2; return 1; }
  if grep -Eq '(error|warning) ' <<<"$out"; then
    echo "$out" >&2
    return 1
  fi
  echo "openapi.yaml: Redocly lint clean"
}
