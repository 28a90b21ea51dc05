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

# Whether the wasm-bindgen CLI (and its test runner) at Cargo.lock's version is installed.
have_wasm_bindgen() {
  [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(locked_wasm_bindgen)" ] && command -v wasm-bindgen-test-runner >/dev/null
}

# Whether trunk 0.21 is installed.
have_trunk() {
  trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'
}

# The two tools are built from source (crates.io ships no binaries, and no
# registry this project reaches carries prebuilt ones), so they are built for
# build speed: without TLS (trunk runs offline and the test runner talks to a
# local ChromeDriver; ring, rustls and webpki are not compiled), without
# trunk's update check, and without trunk's fat LTO and single codegen unit,
# which make its link a long serial step of a first run. Runtime is
# unaffected: trunk only orchestrates cargo, wasm-bindgen and wasm-opt.
install_wasm_bindgen() {
  # No --locked: its lock file names a webpki-roots release the registry may not serve.
  cargo install --quiet wasm-bindgen-cli --version "$(locked_wasm_bindgen)" --no-default-features
}

# trunk 0.21: 0.22 needs a newer rustc.
install_trunk() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --quiet trunk --version '~0.21' --locked --no-default-features
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

# Everything the web build needs. On a first run the two tools compile side
# by side and, given `release-app`, alongside the app's release build for
# wasm (which trunk then finds done): cargo leaves a core idle in its serial
# stretches (build scripts, proc macros, the final link), and the three
# together fill them. Each job's output goes to a log, shown if it fails.
ensure_web_toolchain() {
  ensure_wasm_target
  ensure_npm_packages
  ensure_crates
  local jobs=() names=() logs; logs="$(mktemp -d)"
  if ! have_wasm_bindgen; then install_wasm_bindgen >"$logs/wasm-bindgen-cli" 2>&1 & jobs+=($!); names+=(wasm-bindgen-cli); fi
  if ! have_trunk; then install_trunk >"$logs/trunk" 2>&1 & jobs+=($!); names+=(trunk); fi
  if [ ${#jobs[@]} -gt 0 ] && [ "${1:-}" = release-app ]; then
    (cd "$ROOT" && cargo build --quiet --release --offline --target wasm32-unknown-unknown --bin trace-optimizer) >"$logs/app" 2>&1 & jobs+=($!); names+=(app)
  fi
  [ ${#jobs[@]} -gt 0 ] && say "building ${names[*]} side by side (several minutes on a first run)"
  local i failed=0
  for i in "${!jobs[@]}"; do
    if ! wait "${jobs[$i]}"; then failed=1; echo "building ${names[$i]} failed:" >&2; tail -n 40 "$logs/${names[$i]}" >&2; fi
  done
  rm -rf "$logs"
  return "$failed"
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
