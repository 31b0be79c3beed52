#!/usr/bin/env python3
"""Compares trailgate's correlation semantics with pySigma's SQLite backend (Zircolite's
converter), which runs Sigma correlations as SQL.

trailgate's side is scripts/correlation_reference.py, which tests/correlation_differential.rs
holds equal to the engine. The SQLite side converts the same Sigma correlation documents with
`pysigma-backend-sqlite` and runs them with its runtime on an in-memory table of the same events,
inserted in shuffled order. Random scenarios cover the four types; the script reports, per type,
how often the two agree on which groups fire and on how many findings each group gets, and prints
the first disagreement of each kind.

Needs pySigma 2 (`pip install pysigma-backend-sqlite`), which cannot share an environment with
the pySigma 1.x the DuckDB comparison (scripts/sigma_differential.py) needs: run it in a
virtual environment of its own:

    python3 -m venv /tmp/sqlite-venv && /tmp/sqlite-venv/bin/pip install pysigma-backend-sqlite
    /tmp/sqlite-venv/bin/python scripts/correlation_sqlite_compare.py [SCENARIOS]

docs/correlations.md records the results.
"""

import json
import os
import random
import sqlite3
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import correlation_reference  # noqa: E402

from sigma.backends.sqlite import runtime, sqliteBackend  # noqa: E402
from sigma.collection import SigmaCollection  # noqa: E402

BASE = 1_709_287_200  # 2024-03-01T10:00:00Z
KINDS = ["event_count", "value_count", "temporal", "temporal_ordered"]


def iso(t):
    import datetime

    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rule_doc(name):
    return (
        f"title: Rule {name}\nname: r{name}\nlogsource:\n  product: aws\n  service: cloudtrail\n"
        f"detection:\n  selection:\n    eventName: {name}\n  condition: selection\n"
    )


def scenario(rng):
    kind = rng.choice(KINDS)
    inputs = ["A"] if kind in ("event_count", "value_count") else ["A", "B"]
    timespan = rng.choice([30, 60, 120, 300])
    n = rng.randint(2, 5) if kind in ("event_count", "value_count") else None
    lines = [
        "title: Correlation",
        "name: corr",
        "correlation:",
        f"  type: {kind}",
        "  rules:",
        *[f"    - r{i}" for i in inputs],
        "  group-by:",
        "    - ip",
        f"  timespan: {timespan}s",
    ]
    if kind == "event_count":
        lines += ["  condition:", f"    gte: {n}"]
    if kind == "value_count":
        lines += ["  condition:", "    field: user", f"    gte: {n}"]
    lines.append("level: high")
    text = "\n".join(lines) + "\n" + "".join("---\n" + rule_doc(i) for i in inputs)
    events = []
    spread = rng.choice([120, 600, 1800])
    for record in range(rng.randint(5, 40)):
        events.append(
            {
                "time": BASE + rng.randrange(spread),
                "eventName": rng.choice(["A", "A", "B", "C"]),
                "ip": rng.choice(["a", "b", "c"]),
                "user": rng.choice(["u1", "u2", "u3", "u4"]),
                "record": record,
            }
        )
    rng.shuffle(events)
    correlation = {
        "id": "corr",
        "type": kind,
        "inputs": [{"id": f"r{i}", "chained": False, "generate": False} for i in inputs],
        "group_by": [{"name": "ip", "sources": [{"event": "ip"} for _ in inputs]}],
        "field": {"name": "user", "sources": [{"event": "user"} for _ in inputs]}
        if kind == "value_count"
        else None,
        "timespan": timespan,
        "condition": [["gte", n]] if n is not None else [["gte", len(inputs)]],
    }
    reference_events = [
        {
            "time": e["time"],
            "rules": [f"r{e['eventName']}"],
            "fields": {"ip": e["ip"], "user": e["user"]},
            "file": "f",
            "record": e["record"],
            "event_id": str(e["record"]),
        }
        for e in events
    ]
    return kind, text, events, {"correlations": [correlation], "events": reference_events}


def sqlite_alerts(text, events):
    rules = json.loads(sqliteBackend().convert(SigmaCollection.from_yaml(text), "zircolite"))
    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE TABLE logs (timestamp TEXT, eventName TEXT COLLATE NOCASE, "
        "ip TEXT COLLATE NOCASE, user TEXT COLLATE NOCASE)"
    )
    con.executemany(
        "INSERT INTO logs VALUES (?, ?, ?, ?)",
        [(iso(e["time"]), e["eventName"], e["ip"], e["user"]) for e in events],
    )
    groups = Counter()
    for rule in rules:
        alerts, _ = runtime.execute_plan(con, rule["correlation_plan"])
        for alert in alerts:
            groups[alert["group_keys"]["ip"]] += 1
    return groups


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = random.Random(20240301)
    stats = {k: Counter() for k in KINDS}
    shown = set()
    for _ in range(count):
        kind, text, events, reference_input = scenario(rng)
        reference = correlation_reference.evaluate(reference_input)
        ours = Counter(f[1][0] for f in reference)
        theirs = sqlite_alerts(text, events)
        same_groups = set(ours) == set(theirs)
        same_counts = ours == theirs
        stats[kind]["scenarios"] += 1
        stats[kind]["same groups"] += same_groups
        stats[kind]["same counts"] += same_counts
        label = (kind, same_groups)
        if not same_counts and label not in shown:
            shown.add(label)
            print(f"--- {kind}: trailgate {dict(ours)} vs sqlite {dict(theirs)}")
            print(text)
            for e in sorted(events, key=lambda e: (e["ip"], e["time"])):
                print(f"  {e['ip']} +{e['time'] - BASE:5}s {e['eventName']} {e['user']}")
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
