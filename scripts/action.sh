#!/usr/bin/env bash
# The shell part of the GitHub Action (action.yml). Two steps:
#   action.sh install   find or build trailgate; writes `bin=PATH` to $GITHUB_OUTPUT
#   action.sh scan      run `trailgate scan` with a SARIF report and a Markdown summary; append the
#                       summary to $GITHUB_STEP_SUMMARY; write exit-code, sarif and summary to
#                       $GITHUB_OUTPUT; exit with trailgate's exit code
# Inputs come as INPUT_* environment variables (see action.yml). Tested by tests/action.rs.
set -euo pipefail

output() { # name value: one step output
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"
  fi
}

install() {
  local bin="${INPUT_TRAILGATE:-}"
  if [ -z "$bin" ] && command -v trailgate > /dev/null 2>&1; then
    bin=trailgate
  fi
  if [ -z "$bin" ]; then
    # No release binaries yet: build this action's own source, pinned by the action's ref.
    local root="${RUNNER_TEMP:-/tmp}/trailgate"
    echo "Building trailgate from ${GITHUB_ACTION_PATH:-.} (cargo install --locked)"
    cargo install --locked --quiet --root "$root" --path "${GITHUB_ACTION_PATH:-.}"
    bin="$root/bin/trailgate"
  fi
  if ! "$bin" --version; then
    echo "::error title=trailgate::cannot run $bin" >&2
    exit 2
  fi
  output bin "$bin"
}

scan() {
  local bin="${TRAILGATE_BIN:-trailgate}"
  local args=(scan)
  if [ -n "${INPUT_CONFIG:-}" ]; then
    args+=(--config "$INPUT_CONFIG")
  fi
  local sarif="" summary=""
  if [ -n "${INPUT_SARIF:-}" ]; then
    sarif="$(realpath -m -- "$INPUT_SARIF")"
    mkdir -p -- "$(dirname -- "$sarif")"
    rm -f -- "$sarif"
    args+=(-o "sarif=$sarif")
    # Alerts point at files relative to the repository, as code scanning expects.
    if [ -n "${GITHUB_WORKSPACE:-}" ] && [[ " ${INPUT_ARGS:-} " != *" --sarif-root"* ]]; then
      args+=(--sarif-root "$GITHUB_WORKSPACE")
    fi
  fi
  if [ "${INPUT_SUMMARY:-true}" = "true" ]; then
    summary="$(mktemp "${RUNNER_TEMP:-/tmp}/trailgate-summary.XXXXXX")"
    args+=(-o "markdown=$summary")
  fi
  args+=(-o text=-)
  # Extra arguments and paths are split on whitespace, as a workflow author writes them.
  local extra
  read -r -d '' -a extra <<< "${INPUT_ARGS:-}" || true
  args+=("${extra[@]}")
  local paths
  read -r -d '' -a paths <<< "${INPUT_PATHS:-}" || true
  if [ "${#paths[@]}" -gt 0 ]; then
    args+=(--)
    args+=("${paths[@]}")
  fi

  echo "+ $bin ${args[*]}"
  local code=0
  "$bin" "${args[@]}" || code=$?

  output exit-code "$code"
  if [ -n "$sarif" ] && [ -s "$sarif" ]; then
    output sarif "$sarif"
  fi
  if [ -n "$summary" ] && [ -s "$summary" ]; then
    output summary "$summary"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
      cat "$summary" >> "$GITHUB_STEP_SUMMARY"
    fi
  fi
  case "$code" in
    0) ;;
    1) echo "::error title=trailgate::findings at or above --fail-on (see the job summary and code scanning)" ;;
    2) echo "::error title=trailgate::bad rules, configuration or usage: nothing was scanned (see the log)" ;;
    3) echo "::error title=trailgate::some inputs could not be read; the findings from the rest are reported" ;;
    4) echo "::error title=trailgate::a report could not be written (see the log)" ;;
    *) echo "::error title=trailgate::trailgate exited with $code" ;;
  esac
  return "$code"
}

case "${1:-}" in
  install) install ;;
  scan) scan ;;
  *)
    echo "usage: $0 install|scan" >&2
    exit 2
    ;;
esac
