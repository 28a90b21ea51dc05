# Sourced by scripts/posthog-emulator, scripts/emulator-tests and scripts/emulator-bench: creates/updates .venv in the repository root from
# tests/posthog_emulator/requirements.txt with the machine's python3 (CPython 3.11),
# installing only when the requirements changed since the last install.
ensure_emulator_venv() {
  local venv="$ROOT/.venv"
  local req="$ROOT/tests/posthog_emulator/requirements.txt"
  local extra="${1:-}"
  local python="${PYTHON3:-python3}"
  if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || {
      echo "emulator: needs CPython 3.11 as python3 (found $("$python" --version 2>&1))" >&2; return 1; }
    "$python" -m venv "$venv"
  fi
  local stamp="$venv/.emulator-requirements"
  local want
  want="$(cat "$req" ${extra:+"$extra"} | sha256sum | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" ${extra:+-r "$extra"}
    echo "$want" > "$stamp"
  fi
  EMULATOR_PYTHON="$venv/bin/python"
}
