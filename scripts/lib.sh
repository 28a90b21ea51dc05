# Shared by scripts/serve and scripts/test: idempotent installers, each
# skipping what is already there. Source it; don't run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs a command as root (directly, or through sudo when available).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

# The wasm-bindgen version Cargo.lock pins (the CLI must match it exactly).
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_target() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && return
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

ensure_wasm_bindgen() {
  local want; want="$(locked_wasm_bindgen)"
  if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $want" ] \
     && command -v wasm-bindgen-test-runner >/dev/null; then return; fi
  say "installing wasm-bindgen-cli $want (matches Cargo.lock)"
  # No --locked: its lock file names a webpki-roots release the registry may not serve.
  cargo install wasm-bindgen-cli --version "$want"
}

ensure_trunk() {
  trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.' && return
  say "installing trunk 0.21 (0.22 needs a newer rustc)"
  cargo install trunk --version '~0.21' --locked
}

ensure_npm_packages() {
  if [ -d "$ROOT/node_modules/echarts" ] && [ -d "$ROOT/node_modules/binaryen" ] && [ -d "$ROOT/node_modules/playwright-core" ] \
     && [ "$ROOT/node_modules/.package-lock.json" -nt "$ROOT/package-lock.json" ]; then return; fi
  say "installing npm packages (echarts, binaryen's wasm-opt, playwright-core)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
}

ensure_chromium() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then return; fi
  say "installing Chromium and ChromeDriver"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
}

ensure_crates() {
  # trunk runs cargo offline, so the crates must be on disk first.
  (cd "$ROOT" && cargo fetch --quiet)
}

# Everything the web build needs.
ensure_web_toolchain() {
  ensure_wasm_target
  ensure_npm_packages
  ensure_crates
  ensure_wasm_bindgen
  ensure_trunk
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts the PostHog emulator in the background on a free port with the
# given arguments (e.g. --events FILE.jsonl); sets EMULATOR_URL and
# EMULATOR_PID. Output goes to $1.
start_emulator() {
  local log="$1"; shift
  "$ROOT/scripts/posthog-emulator" --port 0 "$@" >"$log" 2>&1 &
  EMULATOR_PID=$!
  EMULATOR_URL=""
  for _ in $(seq 600); do
    EMULATOR_URL="$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$log" | head -n 1)"
    [ -n "$EMULATOR_URL" ] && return 0
    kill -0 "$EMULATOR_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "the PostHog emulator did not start:" >&2; cat "$log" >&2
  return 1
}
