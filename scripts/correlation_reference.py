#!/usr/bin/env python3
"""An independent reference for trailgate's correlation semantics (docs/correlations.md).

Written from the documented semantics, not from the Rust code, and deliberately naive: every
window is recomputed from the full list of signals, nothing is bucketed, merged or capped until
the output. tests/correlation_differential.rs feeds it random scenarios and compares its
findings with the engine's.

Input (standard input, JSON): a list of scenarios, each
  {"correlations": [{"id", "type", "inputs": [{"id", "chained"}], "group_by": [{"name",
     "sources": [SOURCE per input]}], "field": {"name", "sources"} or null, "timespan": seconds,
     "condition": [[op, n], ...]}], each input also with "generate": bool
   "events": [{"time": seconds or null, "rules": [rule ids the event matched], "fields":
     {name: text}, "file": str, "record": int, "event_id": str}]}
  where SOURCE is {"event": field name} or {"group": index into the referenced correlation's
  group_by}.
Output (standard output, JSON): for each scenario, the list of findings
  [correlation id, group, start, end, measure, peak, counts, values, distinct, members] sorted by
  correlation id, group and start; members are [time, rule, file, record, event_id].
"""

import json
import sys

MEMBER_CAP = 20
VALUE_CAP = 50

OPS = {
    "gt": lambda v, n: v > n,
    "gte": lambda v, n: v >= n,
    "lt": lambda v, n: v < n,
    "lte": lambda v, n: v <= n,
    "eq": lambda v, n: v == n,
}


def holds(condition, value):
    return all(OPS[op](value, n) for op, n in condition)


def measure(kind, signals, inputs):
    """The measure of one window's signals (each: time, input, value, members)."""
    if kind == "event_count":
        return len(signals)
    if kind == "value_count":
        return len({s["value"] for s in signals})
    if kind == "temporal":
        return len({s["input"] for s in signals})
    # temporal_ordered: the longest prefix of the inputs found at non-decreasing times
    best = 0

    def search(q, at):
        nonlocal best
        best = max(best, q)
        if q == inputs:
            return
        for t in sorted({s["time"] for s in signals if s["input"] == q and s["time"] >= at}):
            search(q + 1, t)
            if best == inputs:
                return

    search(0, -(2**62))
    return best


def episodes(corr, signals):
    """Findings of one correlation from its signals (all groups)."""
    span = corr["timespan"]
    groups = {}
    for s in signals:
        groups.setdefault(tuple(s["group"]), []).append(s)
    out = []
    for group in sorted(groups):
        sigs = groups[group]
        anchors = sorted({s["time"] for s in sigs})
        firing = []
        for a in anchors:
            window = [s for s in sigs if a <= s["time"] < a + span]
            m = measure(corr["type"], window, len(corr["inputs"]))
            if holds(corr["condition"], m):
                firing.append((a, m))
        runs = []
        for a, m in firing:
            if runs and a < runs[-1][-1][0] + span:
                runs[-1].append((a, m))
            else:
                runs.append([(a, m)])
        for run in runs:
            start, last = run[0][0], run[-1][0]
            inside = [s for s in sigs if start <= s["time"] < last + span]
            counts = [0] * len(corr["inputs"])
            for s in inside:
                counts[s["input"]] += 1
            values = sorted({s["value"] for s in inside if s["value"] is not None})
            members = []
            for second in sorted({s["time"] for s in inside}):
                here = sorted({tuple(m) for s in inside if s["time"] == second for m in s["members"]})
                for m in here:
                    if len(members) < MEMBER_CAP and list(m) not in members:
                        members.append(list(m))
            out.append(
                {
                    "group": list(group),
                    "start": start,
                    "end": max(s["time"] for s in inside),
                    "measure": run[0][1],
                    "peak": max(m for _, m in run),
                    "counts": counts,
                    "values": values[:VALUE_CAP],
                    "distinct": len(values),
                    "members": members,
                }
            )
    return out


def evaluate(scenario):
    corrs = scenario["correlations"]
    by_id = {c["id"]: c for c in corrs}
    done = {}

    def run(c):
        if c["id"] in done:
            return done[c["id"]]
        signals = []
        for q, inp in enumerate(c["inputs"]):
            if inp["chained"]:
                for ep in run(by_id[inp["id"]]):
                    group = [ep["group"][f["sources"][q]["group"]] for f in c["group_by"]]
                    value = None
                    if c["type"] == "value_count":
                        value = ep["group"][c["field"]["sources"][q]["group"]]
                    signals.append(
                        {"input": q, "time": ep["end"], "group": group, "value": value,
                         "members": ep["members"]}
                    )
                continue
            for ev in scenario["events"]:
                if inp["id"] not in ev["rules"] or ev["time"] is None:
                    continue
                group = [ev["fields"].get(f["sources"][q]["event"]) for f in c["group_by"]]
                if any(v is None for v in group):
                    continue
                value = None
                if c["type"] == "value_count":
                    value = ev["fields"].get(c["field"]["sources"][q]["event"])
                    if value is None:
                        continue
                member = [ev["time"], inp["id"], ev["file"], ev["record"], ev["event_id"]]
                signals.append(
                    {"input": q, "time": ev["time"], "group": group, "value": value,
                     "members": [member]}
                )
        done[c["id"]] = episodes(c, signals)
        return done[c["id"]]

    generate = {}
    for c in corrs:
        for inp in c["inputs"]:
            generate[inp["id"]] = generate.get(inp["id"], False) or inp["generate"]
    findings = []
    for c in corrs:
        eps = run(c)
        if generate.get(c["id"], True):
            findings.extend([c["id"], e] for e in eps)
    findings.sort(key=lambda f: (f[0], f[1]["group"], f[1]["start"]))
    return [
        [cid, e["group"], e["start"], e["end"], e["measure"], e["peak"], e["counts"], e["values"],
         e["distinct"], e["members"]]
        for cid, e in findings
    ]


def main():
    scenarios = json.load(sys.stdin)
    json.dump([evaluate(s) for s in scenarios], sys.stdout)


if __name__ == "__main__":
    main()
