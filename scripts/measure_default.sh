#!/usr/bin/env bash
# Findings per 1,000 events on the generated corpus (the one scripts/bench.sh uses): all rules,
# each pack, each severity, and the default set of `trailgate scan` (every rule but the
# informational ones, src/rule/recommended.rs) with each --fail-on: the figures behind the
# default rule set and --fail-on (docs/ci.md#the-default-rule-set-and---fail-on).
# One scan with every rule; the rest is counting.
#
# Usage: scripts/measure_default.sh [EVENTS (default 1000000)] [CORPUS_DIR (default /tmp/trailgate-bench)]
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-1000000}"
dir="${2:-/tmp/trailgate-bench}"

cargo build --release --quiet --bin trailgate --example generate_trails
bin=target/release

if [ ! -f "$dir.manifest.json" ] || [ "$(python3 -c "import json;print(json.load(open('$dir.manifest.json'))['events'])")" != "$events" ]; then
  rm -rf "$dir"
  "$bin/examples/generate_trails" --out "$dir" --events "$events" --seed 7 > /dev/null
  mv "$dir/manifest.json" "$dir.manifest.json"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Every rule (--severity info selects them all).
"$bin/trailgate" rules list --severity info --format json > "$work/all.json"
"$bin/trailgate" scan --no-config --severity info --fail-on never -o "jsonl=$work/findings.jsonl" "$dir"

python3 - "$events" "$work" <<'PY'
import collections, json, sys
events, work = int(sys.argv[1]), sys.argv[2]
rules = {r["id"]: r for r in json.load(open(f"{work}/all.json"))}
# The default set: every rule but the informational ones.
default = {i for i, r in rules.items() if r["severity"] != "info"}
counts = collections.Counter()
for line in open(f"{work}/findings.jsonl"):
    record = json.loads(line)
    if record.get("type", record.get("kind")) == "finding":
        counts[record["rule_id"]] += 1
order = ["info", "low", "medium", "high", "critical"]
per_k = lambda n: f"{1000 * n / events:.2f}"
def row(name, ids):
    ids = list(ids)
    n = sum(counts[i] for i in ids)
    by = collections.Counter()
    for i in ids:
        by[rules[i]["severity"]] += counts[i]
    cells = [per_k(by[s]) for s in order]
    print(f"| {name} | {len(ids)} | {n} | {per_k(n)} | " + " | ".join(cells) + " |")
print(f"{events} events; findings per 1,000 events, and by severity\n")
print("| rules | count | findings | per 1,000 | " + " | ".join(order) + " |")
print("| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in order) + " |")
row("all", rules)
row("**the default set** (no info rules)", default)
for pack in sorted({r["pack"] for r in rules.values()}):
    row(f"pack {pack}", [i for i, r in rules.items() if r["pack"] == pack])
print("\nThe default set, findings that fail the gate per 1,000 events, by --fail-on:\n")
print("| --fail-on | findings | per 1,000 |")
print("| --- | ---: | ---: |")
for level in order:
    n = sum(counts[i] for i in default if order.index(rules[i]["severity"]) >= order.index(level))
    print(f"| {level} | {n} | {per_k(n)} |")
print("\nThe 15 rules with the most findings:\n")
print("| rule | pack | severity | default | findings | per 1,000 |")
print("| --- | --- | --- | --- | ---: | ---: |")
for rule_id, n in counts.most_common(15):
    r = rules[rule_id]
    print(f"| {rule_id} | {r['pack']} | {r['severity']} | {'yes' if rule_id in default else 'no'} | {n} | {per_k(n)} |")
PY
