#!/usr/bin/env bash
# Whole-process benchmark on one generated corpus, in one sitting:
#   the inflate floor (decompress only, 1 and all threads), trailgate with the built-in packs,
#   trailgate with the built-in packs plus the SigmaHQ CloudTrail rules, `zcat | jq` with one
#   rule, and, when found on PATH, Suzaku, Chainsaw and rsigma with the same Sigma rules
#   (docs/performance.md says how to install each; none is vendored here).
# Prints a Markdown table: events/s, MB/s of decompressed JSON, peak RSS, ratios.
#
# Usage: scripts/bench.sh [EVENTS (default 1000000)] [CORPUS_DIR (default /tmp/trailgate-bench)]
# Env: TRAILGATE_CORPUS (for the Sigma rules; default ../shared/corpus), THREADS (default: all),
#      CHAINSAW_MAPPING (default: mappings/sigma-cloudtrail-logs-all.yml beside the chainsaw binary),
#      BENCH_CARGO_ARGS (extra cargo build arguments, e.g. --no-default-features: no S3 client,
#      which local scans do not use, and a much shorter first build)
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"
dir="${2:-/tmp/trailgate-bench}"
sigma="${TRAILGATE_CORPUS:-../shared/corpus}/sigma/rules"
threads="${THREADS:-0}"
cores=$(nproc)

# shellcheck disable=SC2086 # BENCH_CARGO_ARGS is a list of arguments
cargo build --release --quiet ${BENCH_CARGO_ARGS:-} --bin trailgate --example generate_trails --example inflate_floor --example design_floor
bin=target/release

if [ ! -f "$dir.manifest.json" ] || [ "$(python3 -c "import json;print(json.load(open('$dir.manifest.json'))['events'])")" != "$events" ]; then
  rm -rf "$dir"
  "$bin/examples/generate_trails" --out "$dir" --events "$events" --seed 7 > /dev/null
  mv "$dir/manifest.json" "$dir.manifest.json"
fi
bytes=$(python3 -c "import json;print(json.load(open('$dir.manifest.json'))['uncompressed_bytes'])")
files=$(python3 -c "import json;print(json.load(open('$dir.manifest.json'))['files'])")

# Warm the page cache so every run reads from memory.
"$bin/examples/inflate_floor" "$dir" > /dev/null

measure() { # name, command...: prints "name seconds peak_kb"
  local name="$1"; shift
  local out
  out=$( { /usr/bin/time -f '%e %M' "$@" > /dev/null 2>/tmp/bench.err; } 2>&1 | tail -1 )
  # /usr/bin/time writes its line to stderr, which the redirect above sent to /tmp/bench.err.
  out=$(tail -1 /tmp/bench.err)
  echo "$name $out"
}

results=()
results+=("$(measure "inflate-floor-1-thread" "$bin/examples/inflate_floor" "$dir" 1)")
results+=("$(measure "inflate-floor-$cores-threads" "$bin/examples/inflate_floor" "$dir" "$threads")")
# trailgate's own floor, stage by stage (examples/design_floor.rs): each file inflated whole, then
# cut into validated raw records, then each record's head read, then every record parsed.
for stage in split head parse; do
  results+=("$(measure "design-floor-$stage" "$bin/examples/design_floor" "$dir" "$threads" "$stage")")
done
# The default set (no selection): every built-in rule but the informational ones, correlations.
results+=("$(measure "trailgate-default-1-thread" "$bin/trailgate" scan --fail-on never -j 1 -o jsonl=/dev/null "$dir")")
results+=("$(measure "trailgate-default" "$bin/trailgate" scan --fail-on never -j "$threads" -o jsonl=/dev/null "$dir")")
# Every built-in pack but the first-seen one, which is measured on its own below (its rules need
# history and collect their state until the end of the scan).
packs=()
for pack in rules/aws/*/; do
  case "$pack" in */first-seen/) ;; *) packs+=(--rules "$pack") ;; esac
done
results+=("$(measure "trailgate-all-packs" "$bin/trailgate" scan "${packs[@]}" --fail-on never -j "$threads" -o jsonl=/dev/null "$dir")")
if [ -d "$sigma" ]; then
  results+=("$(measure "trailgate-sigma" "$bin/trailgate" scan --rules "$sigma" --fail-on never -j "$threads" -o jsonl=/dev/null "$dir")")
  results+=("$(measure "trailgate-all-packs+sigma" "$bin/trailgate" scan "${packs[@]}" --rules "$sigma" --fail-on never -j "$threads" -o jsonl=/dev/null "$dir")")
fi
results+=("$(measure "trailgate-first-seen-pack" "$bin/trailgate" scan --rules rules/aws/first-seen --fail-on never -j "$threads" -o json=/dev/null "$dir")")
results+=("$(measure "trailgate-one-rule" "$bin/trailgate" scan --rules rules/aws/threats/aws-cloudtrail-stopped-or-deleted.yaml --fail-on never -j "$threads" -o jsonl=/dev/null "$dir")")
jq_rule='.Records[] | select(.eventSource == "cloudtrail.amazonaws.com" and (.eventName == "StopLogging" or .eventName == "DeleteTrail"))'
results+=("$(measure "zcat-jq-one-rule" bash -c "find '$dir' -name '*.json.gz' -not -path '*CloudTrail-Digest*' -print0 | xargs -0 zcat | jq -c '$jq_rule'")")

# Other Sigma engines with the same rules. Each reads the input its own way: Suzaku the gzipped
# trail files; Chainsaw and rsigma cannot read gzip, so they get decompressed copies made once
# (not timed; their rows leave out decompression, which the floor row measures).
trail_files() { find "$dir" -name '*.json.gz' -not -path '*CloudTrail-Digest*' -print0 | sort -z; }
if [ -d "$sigma" ] && command -v suzaku >/dev/null 2>&1; then
  results+=("$(measure "suzaku-sigma" suzaku aws-ct-timeline -d "$dir" -r "$sigma" -o /tmp/bench-suzaku.csv -C -q -K -T -N)")
fi
if [ -d "$sigma" ] && command -v chainsaw >/dev/null 2>&1; then
  mapping="${CHAINSAW_MAPPING:-$(dirname "$(readlink -f "$(command -v chainsaw)")")/mappings/sigma-cloudtrail-logs-all.yml}"
  if [ -f "$mapping" ]; then
    if [ ! -f "$dir.plain/.done" ]; then
      rm -rf "$dir.plain"; mkdir -p "$dir.plain"
      trail_files | while IFS= read -r -d '' f; do zcat "$f" > "$dir.plain/$(basename "$f" .gz)"; done
      touch "$dir.plain/.done"
    fi
    results+=("$(measure "chainsaw-sigma-unzipped" chainsaw hunt "$dir.plain" -s "$sigma" --mapping "$mapping" --json -q -o /tmp/bench-chainsaw.json)")
  else
    echo "note: chainsaw found but not its CloudTrail mapping ($mapping); set CHAINSAW_MAPPING" >&2
  fi
fi
if [ -d "$sigma" ] && command -v rsigma >/dev/null 2>&1; then
  # rsigma evaluates NDJSON events: the trail's records, one a line.
  if [ ! -f "$dir.ndjson" ]; then
    trail_files | xargs -0 zcat | jq -c '.Records[]' > "$dir.ndjson.tmp"
    mv "$dir.ndjson.tmp" "$dir.ndjson"
  fi
  results+=("$(measure "rsigma-sigma-ndjson" bash -c "rsigma engine eval -r '$sigma' < '$dir.ndjson' > /tmp/bench-rsigma.out")")
fi

python3 - "$events" "$bytes" "$files" "$cores" "${results[@]}" <<'PY'
import sys
events, size, files, cores = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [r.split() for r in sys.argv[5:]]
by = {r[0]: (float(r[1]), int(r[2])) for r in rows}
floor = by[f"inflate-floor-{cores}-threads"][0]
jq = by.get("zcat-jq-one-rule", (None,))[0]
print(f"{events:,} events in {files:,} gzipped files, {size/1e6:,.0f} MB of JSON ({size//events} B an event), {cores} cores\n")
print("| run | seconds | events/s | MB/s | peak RSS | vs floor | vs zcat+jq |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, (secs, kb) in by.items():
    secs = max(secs, 0.001)
    vs_floor = f"{floor / secs:.0%}"
    vs_jq = f"{jq / secs:.1f}x" if jq else "-"
    print(f"| {name} | {secs:.2f} | {events/secs:,.0f} | {size/secs/1e6:,.0f} | {kb/1024:,.0f} MB | {vs_floor} | {vs_jq} |")
PY
