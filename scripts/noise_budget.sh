#!/usr/bin/env bash
# Noise budget of the built-in packs: findings of medium severity or higher per 1,000 events of
# the generated corpus that scripts/bench.sh scans (trailgate::generate, seed 7), per rule.
# Every event of that corpus is ordinary activity except a few planted misconfigurations, so
# a rule that fires here at medium or higher must be defended (docs/conformance.md).
#
# Usage: scripts/noise_budget.sh [EVENTS (default 1000000)] [GIT_REF...]
#   With no ref, the rules of the working tree; with refs, the rules/ directory of each ref
#   (e.g. `main HEAD`), scanned by the binary of the working tree.
# Env: CORPUS_DIR (default /tmp/trailgate-noise), PROFILE (release or debug; default release)
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"
shift || true
dir="${CORPUS_DIR:-/tmp/trailgate-noise}"
profile="${PROFILE:-release}"
if [ "$profile" = release ]; then
  cargo build --release --quiet --bin trailgate --example generate_trails
else
  cargo build --quiet --bin trailgate --example generate_trails
fi
bin="target/$profile"

if [ ! -f "$dir.manifest.json" ] || [ "$(python3 -c "import json;print(json.load(open('$dir.manifest.json'))['events'])")" != "$events" ]; then
  rm -rf "$dir"
  "$bin/examples/generate_trails" --out "$dir" --events "$events" --seed 7 > /dev/null
  mv "$dir/manifest.json" "$dir.manifest.json"
fi

count=$(cat <<'PY'
import collections, json, sys
ref, events = sys.argv[1], int(sys.argv[2])
rank = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
per_rule = collections.Counter()
scanned = None
for line in sys.stdin:
    record = json.loads(line)
    if record.get("type") == "summary":
        scanned = record["events"]
    elif record.get("type") == "finding" and rank[record["severity"]] >= rank["medium"]:
        per_rule[(record["rule_id"], record["severity"])] += 1
assert scanned == events, (scanned, events)
total = sum(per_rule.values())
print(f"{ref}: {total} findings of medium or higher in {events} events: {1000 * total / events:.2f} per 1,000 events")
for (rule, severity), n in sorted(per_rule.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"  {n:>8}  {1000 * n / events:6.2f}/1k  {severity:<8} {rule}")
PY
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
refs=("$@")
[ ${#refs[@]} -eq 0 ] && refs=("working-tree")
for ref in "${refs[@]}"; do
  rules="rules"
  if [ "$ref" != working-tree ]; then
    rules="$work/$ref/rules"
    mkdir -p "$work/$ref"
    git archive "$ref" rules | tar -x -C "$work/$ref"
  fi
  # The findings go through a pipe: a million events give tens of thousands of findings.
  "$bin/trailgate" scan --rules "$rules" --fail-on never --format jsonl "$dir" |
  python3 -c "$count" "$ref" "$events"
done
