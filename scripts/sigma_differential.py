#!/usr/bin/env python3
"""Differential test: trailgate's Sigma engine against pySigma's DuckDB backend.

Every SigmaHQ CloudTrail rule in the corpus is converted with pySigma (pysigma 1.5.1,
pysigma-backend-duckdb 0.1.4) to DuckDB SQL and run over one shared event set: every event of
the corpus (Panther cases, Stratus Red Team, OTRF, plaso Event History), the project's fixtures,
and events generated from each rule to hit it (and to hit its filters, and to vary case and
missing fields). trailgate scans the same events. For each rule the sets of matching events are
compared. Each disagreement must be explained by a counterfactual: the event is changed in a way
that keeps its meaning under Sigma (trailgate's verdict stays), targeting one documented departure
of the backend from Sigma, and the backend's verdict then flips. Anything else fails the run.

Usage: scripts/sigma_differential.py --trailgate target/debug/trailgate [--corpus ../shared/corpus]
       [--report FILE]   (writes the per-rule table as Markdown)
"""

import argparse
import copy
import glob
import gzip
import json
import os
import subprocess
import sys
import tempfile

import duckdb
from sigma.collection import SigmaCollection
from sigma.rule import SigmaDetection, SigmaDetectionItem
from sigma.types import SigmaString, SigmaNull, SigmaNumber, SigmaBool, SigmaRegularExpression, SigmaCIDRExpression, SigmaFieldReference
from sigma_backend_duckdb import DuckDBBackend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_json_any(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    try:
        doc = json.loads(text)
        docs = [doc]
    except json.JSONDecodeError:
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
    events = []
    for doc in docs:
        if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
            events.extend(doc["Records"])
        elif isinstance(doc, list):
            events.extend(doc)
        elif isinstance(doc, dict) and "CloudTrailEvent" in doc:
            events.append(json.loads(doc["CloudTrailEvent"]))
        elif isinstance(doc, dict) and ("eventName" in doc or "eventSource" in doc):
            events.append(doc)
    return [e for e in events if isinstance(e, dict)]


def corpus_events(corpus):
    sets = []
    for line in open(os.path.join(corpus, "panther", "cases.jsonl")):
        case = json.loads(line)
        event = case["event"]
        if isinstance(event, dict) and ("eventName" in event or "eventSource" in event):
            sets.append(("panther:" + case["rule_id"] + ":" + case["test_name"], event))
    for path in sorted(glob.glob(os.path.join(corpus, "stratus-red-team", "detonation-logs", "*.json"))):
        for i, event in enumerate(load_json_any(path)):
            sets.append((f"stratus:{os.path.basename(path)}:{i}", event))
    for path in sorted(glob.glob(os.path.join(corpus, "otrf-security-datasets", "*.json"))):
        for i, event in enumerate(load_json_any(path)):
            sets.append((f"otrf:{i}", event))
    for path in sorted(glob.glob(os.path.join(corpus, "plaso", "*.jsonl"))):
        for i, event in enumerate(load_json_any(path)):
            sets.append((f"plaso:{i}", event))
    return sets


def fixture_events():
    sets = []
    for pattern in ("fixtures/trails/**/*.json.gz", "fixtures/events/*.json"):
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            if "CloudTrail-Digest" in path:
                continue
            for i, event in enumerate(load_json_any(path)):
                sets.append((f"fixture:{os.path.relpath(path, ROOT)}:{i}", event))
    return sets


# --- events generated from the rules -------------------------------------------------------

def sample_string(value: SigmaString):
    out = []
    for part in value.s:
        if isinstance(part, str):
            out.append(part)
        elif part.name == "WILDCARD_MULTI":
            out.append("x")
        else:
            out.append("y")
    return "".join(out)


def set_field(event, field, value):
    parts = field.split(".")
    node = event
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


def items_of(detection):
    """The first alternative's detection items of a selection (AND of fields)."""
    out = []
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            sub = items_of(item)
            if sub:
                out.extend(sub)
                if detection.item_linking is not None and detection.item_linking.__name__ == "ConditionOR":
                    break
        else:
            out.append(item)
    return out


def apply_items(event, items):
    for item in items:
        if item.field is None or not item.value:
            continue
        value = item.value[0]
        if isinstance(value, SigmaString):
            set_field(event, item.field, sample_string(value))
        elif isinstance(value, SigmaNumber):
            set_field(event, item.field, value.number)
        elif isinstance(value, SigmaBool):
            set_field(event, item.field, value.boolean)
        elif isinstance(value, SigmaNull):
            continue
        elif isinstance(value, SigmaCIDRExpression):
            set_field(event, item.field, str(value.network.network_address))
        elif isinstance(value, SigmaRegularExpression):
            continue
        elif isinstance(value, SigmaFieldReference):
            continue


def lower_values(value):
    if isinstance(value, dict):
        return {k: lower_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_values(v) for v in value]
    return value.lower() if isinstance(value, str) else value


# Rules whose values the generic generator cannot turn into a hit (regexes, contains over an
# object's text): a hand-written event that should hit each, and one that should not.
EXTRA_EVENTS = [
    ("imds-instance-role-outside-aws", {
        "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"}}),
    ("imds-instance-role-inside-aws", {
        "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "sourceIPAddress": "AWS Internal",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"}}),
    ("s3browser-template-policy", {
        "eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy", "userAgent": "S3 Browser 11.5.7",
        "requestParameters": {"userName": "bob", "policyName": "s3", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::<YOUR-BUCKET-NAME>/*"}]}}}),
    ("s3browser-real-policy", {
        "eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy", "userAgent": "S3 Browser 11.5.7",
        "requestParameters": {"userName": "bob", "policyName": "s3", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::reports/*"}]}}}),
    ("vm-export-succeeded", {
        "eventSource": "ec2.amazonaws.com", "eventName": "CreateInstanceExportTask",
        "responseElements": {"exportTask": {"state": "active"}}}),
    ("vm-export-failed", {
        "eventSource": "ec2.amazonaws.com", "eventName": "CreateInstanceExportTask", "errorCode": "Client.InvalidParameter",
        "errorMessage": "The instance is not exportable", "responseElements": None}),
    ("bucket-enumeration-by-user", {
        "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "userIdentity": {"type": "IAMUser"}}),
    ("login-profile-own", {
        "eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile",
        "userIdentity": {"arn": "alice"}, "requestParameters": {"userName": "alice"}}),
    ("login-profile-other", {
        "eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile",
        "userIdentity": {"arn": "arn:aws:iam::123456789012:user/mallory"}, "requestParameters": {"userName": "alice"}}),
]


def generated_events(rules):
    sets = []
    for rule in rules:
        rid = str(rule.id)
        detections = rule.detection.detections
        positive = {"eventVersion": "1.08", "eventID": f"gen-{rid}-hit", "awsRegion": "us-east-1",
                    "eventSource": "example.amazonaws.com", "eventName": "ExampleCall"}
        for name, detection in detections.items():
            if not name.startswith("filter"):
                apply_items(positive, items_of(detection))
        sets.append((f"generated:{rid}:hit", positive))
        for name, detection in detections.items():
            if name.startswith("filter"):
                event = copy.deepcopy(positive)
                event["eventID"] = f"gen-{rid}-{name}"
                apply_items(event, items_of(detection))
                sets.append((f"generated:{rid}:{name}", event))
        # Case variation: Sigma matches strings case-insensitively.
        lowered = lower_values(positive)
        lowered["eventID"] = f"gen-{rid}-lowercase"
        sets.append((f"generated:{rid}:lowercase", lowered))
    for name, event in EXTRA_EVENTS:
        sets.append((f"generated:{name}", dict(event, eventID=f"gen-{name}")))
    return sets


# --- running both sides --------------------------------------------------------------------

def fields_of(rules):
    fields = set()

    def walk(detection):
        for item in detection.detection_items:
            if isinstance(item, SigmaDetection):
                walk(item)
            else:
                if item.field:
                    fields.add(item.field)
                for value in item.value:
                    if isinstance(value, SigmaFieldReference):
                        fields.add(value.field)

    for rule in rules:
        for detection in rule.detection.detections.values():
            walk(detection)
    return sorted(fields)


def duckdb_tables(fields, events):
    """A DuckDB connection whose table `logs` has one VARCHAR column per Sigma field, named
    exactly as the backend quotes it, holding the field's value extracted from the nested JSON
    (objects and arrays as JSON text, missing and null as SQL NULL)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE raw (_idx INTEGER, event JSON)")
    con.executemany("INSERT INTO raw VALUES (?, ?)", [(i, json.dumps(e)) for i, e in enumerate(events)])

    def column(field):
        json_path = "$." + ".".join('"' + part + '"' for part in field.split("."))
        return f"json_extract_string(event, '{json_path}') AS \"{field}\""

    columns = ", ".join(column(f) for f in fields)
    con.execute(f"CREATE TABLE logs AS SELECT _idx, {columns} FROM raw")
    return con


def run_duckdb(rules, events):
    backend = DuckDBBackend()
    fields = fields_of(rules)
    con = duckdb_tables(fields, [e for _, e in events])
    matches = {}
    queries = {}
    for rule in rules:
        sql = backend.convert_rule(rule)[0]
        queries[str(rule.id)] = sql
        rows = con.execute(f"SELECT _idx FROM ({sql}) AS q").fetchall()
        matches[str(rule.id)] = {r[0] for r in rows}
    return matches, queries, fields


# --- explaining disagreements -----------------------------------------------------------------
#
# A disagreement is explained only by a counterfactual: the event is changed in a way that does
# not change its meaning under Sigma's semantics (trailgate's verdict must stay the same), and
# the backend's verdict then flips to agree. Each change targets one documented departure of the
# DuckDB backend from Sigma.

def rule_strings(rule):
    values = {}

    def walk(detection):
        for item in detection.detection_items:
            if isinstance(item, SigmaDetection):
                walk(item)
            else:
                for value in item.value:
                    if isinstance(value, SigmaString) and not value.contains_special():
                        text = str(value)
                        values[text.lower()] = text

    for detection in rule.detection.detections.values():
        walk(detection)
    return values


def get_field(event, field):
    node = event
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return None, False
        node = node[part]
    return node, True


def recase(event, strings):
    """Case-sensitive equality: give string values the rule's own spelling."""
    if isinstance(event, dict):
        return {k: recase(v, strings) for k, v in event.items()}
    if isinstance(event, list):
        return [recase(v, strings) for v in event]
    if isinstance(event, str):
        return strings.get(event.lower(), event)
    return event


def two_valued_not(sql):
    """`NOT` over a missing field (SQL NULL drops the event): make each `NOT x` read
    `NOT coalesce(x, false)`, Sigma's two-valued logic. A change to the query, not the event."""
    out = []
    i = 0
    while i < len(sql):
        if sql.startswith("NOT ", i) and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            j = i + 4
            if sql[j] == "(":
                depth, k, in_string = 0, j, False
                while k < len(sql):
                    if sql[k] == "'":
                        in_string = not in_string
                    elif not in_string:
                        depth += {"(": 1, ")": -1}.get(sql[k], 0)
                        if depth == 0:
                            break
                    k += 1
                operand, i = sql[j:k + 1], k + 1
            else:
                depth, k = 0, j
                in_string = False
                while k < len(sql):
                    c = sql[k]
                    if c == "'":
                        in_string = not in_string
                    elif not in_string:
                        if c == "(":
                            depth += 1
                        elif c == ")":
                            if depth == 0:
                                break
                            depth -= 1
                        elif depth == 0 and (sql.startswith(" AND ", k) or sql.startswith(" OR ", k)):
                            break
                    k += 1
                operand, i = sql[j:k], k
            out.append(f"NOT coalesce(({two_valued_not(operand)}), false)")
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


def drop_empty(event, fields):
    """`null` not matching an empty string: remove fields whose value is ""."""
    event = copy.deepcopy(event)
    for field in fields:
        value, present = get_field(event, field)
        if present and value == "":
            parts = field.split(".")
            node = event
            for part in parts[:-1]:
                node = node[part]
            del node[parts[-1]]
    return event


# (name, what departs, change to the event, change to the query)
DEPARTURES = [
    ("case", "plain equality in the backend is case-sensitive; Sigma matches strings case-insensitively",
     lambda e, r, f: recase(e, rule_strings(r)), None),
    ("not-missing", "the backend's `NOT` over a missing field is SQL NULL, so the event is dropped; in Sigma `not` of a non-match is a match",
     None, two_valued_not),
    ("null-empty", "the backend's `IS NULL` does not match an empty string; Sigma's `null` does",
     lambda e, r, f: drop_empty(e, f), None),
]


def rule_fields(rule):
    return fields_of([rule])


def explain(rule, sql, all_fields, event, side, trailgate, rules_dir):
    """Returns the departures that, applied together, make the backend agree, or None."""
    import itertools

    fields = rule_fields(rule)
    for size in range(1, len(DEPARTURES) + 1):
        for combo in itertools.combinations(DEPARTURES, size):
            variant, query = event, sql
            for _, _, change_event, change_query in combo:
                if change_event:
                    variant = change_event(variant, rule, fields)
                if change_query:
                    query = change_query(query)
            con = duckdb_tables(all_fields, [variant])
            duck = bool(con.execute(f"SELECT _idx FROM ({query}) AS q").fetchall())
            if duck == (side == "trailgate only"):
                if trailgate_verdict(trailgate, rules_dir, rule, variant) == (side == "trailgate only"):
                    return [name for name, _, _, _ in combo]
    return None


def trailgate_verdict(trailgate, rules_dir, rule, event):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "event.json")
        json.dump(event, open(path, "w"))
        out = subprocess.run([trailgate, "scan", "--rules", rules_dir, "--format", "jsonl", "--fail-on", "never", path],
                             capture_output=True, text=True)
    return any(json.loads(l).get("rule_id") == str(rule.id) for l in out.stdout.splitlines())


def run_trailgate(trailgate, rules_dir, events):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "events.jsonl")
        with open(path, "w") as f:
            for _, event in events:
                f.write(json.dumps(event) + "\n")
        out = subprocess.run(
            [trailgate, "scan", "--rules", rules_dir, "--format", "jsonl", "--fail-on", "never", path],
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            sys.exit(f"trailgate failed ({out.returncode}):\n{out.stderr}\n{out.stdout[-2000:]}")
    matches = {}
    for line in out.stdout.splitlines():
        doc = json.loads(line)
        if doc["type"] == "finding":
            matches.setdefault(doc["rule_id"], set()).add(doc["record"])
        elif doc["type"] == "error":
            sys.exit(f"trailgate could not read an event: {doc}")
    return matches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trailgate", required=True)
    parser.add_argument("--corpus", default=os.environ.get("TRAILGATE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus")))
    parser.add_argument("--report", help="write the summary and per-rule table as Markdown")
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "conformance.md"))
    parser.add_argument("--update-doc", action="store_true", help="rewrite the measured section of --doc")
    parser.add_argument("--check-doc", action="store_true", help="fail when the measured section of --doc is stale")
    parser.add_argument("--write-unexplained", help="write the unexplained disagreements as JSON here")
    args = parser.parse_args()

    rules_dir = os.path.join(args.corpus, "sigma", "rules")
    if not os.path.isdir(rules_dir):
        sys.exit(f"Sigma corpus not found at {rules_dir}; set TRAILGATE_CORPUS or --corpus")
    files = sorted(glob.glob(os.path.join(rules_dir, "*.yml")))
    rules = []
    for path in files:
        rules.extend(SigmaCollection.from_yaml(open(path).read()).rules)

    events = corpus_events(args.corpus) + fixture_events() + generated_events(rules)
    keys = [k for k, _ in events]
    duck, queries, all_fields = run_duckdb(rules, events)
    ours = run_trailgate(args.trailgate, rules_dir, events)

    explained = []
    unexplained = []
    rows = []
    for rule in rules:
        rid = str(rule.id)
        a, b = ours.get(rid, set()), duck.get(rid, set())
        only_ours = sorted(a - b)
        only_duck = sorted(b - a)
        for idx in only_ours + only_duck:
            side = "trailgate only" if idx in a else "pySigma/DuckDB only"
            record = {"rule": rid, "title": rule.title, "event": keys[idx], "side": side}
            reasons = explain(rule, queries[rid], all_fields, events[idx][1], side, args.trailgate, rules_dir)
            if reasons:
                record["departures"] = reasons
                explained.append(record)
            else:
                unexplained.append(record)
        rows.append((rule.title, rid, len(a & b), len(only_ours), len(only_duck)))

    agree = sum(1 for r in rows if r[3] == 0 and r[4] == 0)
    print(f"{len(rules)} rules, {len(events)} events; rules in full agreement: {agree}/{len(rules)}")
    print(f"matches in both: {sum(r[2] for r in rows)}; disagreements explained by a backend departure: {len(explained)}; unexplained: {len(unexplained)}")
    by_reason = {}
    for d in explained:
        by_reason.setdefault("+".join(d["departures"]), []).append(d)
    for reason, items in sorted(by_reason.items()):
        print(f"  {reason}: {len(items)} (e.g. {items[0]['title']} on {items[0]['event']})")
    report = [
        f"{len(rules)} rules over {len(events)} events; {agree} rules in full agreement; "
        f"{sum(r[2] for r in rows)} matches in both; {len(explained)} disagreements, each explained by a "
        f"departure of the backend from Sigma; {len(unexplained)} unexplained.",
        "",
        "| departure | disagreements | example (rule on event) |",
        "|---|---:|---|",
    ]
    for reason, items in sorted(by_reason.items()):
        report.append(f"| {reason} | {len(items)} | {items[0]['title']} on `{items[0]['event']}` |")
    report += ["", "| rule | id | both | trailgate only | pySigma/DuckDB only |", "|---|---|---:|---:|---:|"]
    for title, rid, both, mine, theirs in rows:
        report.append(f"| {title} | `{rid}` | {both} | {mine} | {theirs} |")
    report_text = "\n".join(report) + "\n"
    if args.report:
        open(args.report, "w").write(report_text)
    begin, end = "<!-- sigma-differential:begin -->\n", "<!-- sigma-differential:end -->"
    if args.update_doc or args.check_doc:
        doc = open(args.doc).read()
        if begin not in doc or end not in doc:
            sys.exit(f"{args.doc} has no {begin.strip()} ... {end} section")
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        updated = head + begin + report_text + end + tail
        if args.update_doc:
            open(args.doc, "w").write(updated)
        elif updated != doc:
            print(f"{args.doc}: the measured Sigma section is stale; run scripts/sigma_differential.py --update-doc")
            sys.exit(1)
    if args.write_unexplained:
        json.dump(unexplained, open(args.write_unexplained, "w"), indent=1)
    for d in unexplained[:50]:
        print(f"UNEXPLAINED {d['side']}: {d['title']} ({d['rule']}) on {d['event']}")
    if unexplained:
        sys.exit(1)


if __name__ == "__main__":
    main()
