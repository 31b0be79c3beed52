#!/usr/bin/env python3
"""An independent count of what each principal did in a folder of CloudTrail files, for
tests/principals.rs to check trailgate's per-principal summary against (it shares no code with it).

    count_principals.py DIR

Reads every CloudTrail log file (`*_CloudTrail_*.json`, `.json.gz`) under DIR, digests apart,
each a `{"Records": [...]}` document, and prints one JSON object: principal (or "" for events
without one) -> events, failed, first, last, undated, and a count per value of accounts, regions,
source_addresses, long_term_keys, temporary_keys, user_agents and calls. No caps.
"""

import gzip
import json
import os
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone

LISTS = ("accounts", "regions", "source_addresses", "long_term_keys", "temporary_keys", "user_agents", "calls")


def text(value):
    return value if isinstance(value, str) else None


def get(event, *keys):
    for key in keys:
        if not isinstance(event, dict):
            return None
        event = event.get(key)
    return event


def principal(event):
    for path in (("userIdentity", "arn"), ("userIdentity", "sessionContext", "sessionIssuer", "arn"), ("userIdentity", "invokedBy")):
        value = text(get(event, *path))
        if value is not None:
            return value
    return ""


def when(value):
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def stamp(moment):
    out = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        out += ("." + f"{moment.microsecond:06d}").rstrip("0")
    return out + "Z"


def main():
    root = sys.argv[1]
    people = defaultdict(lambda: {"events": 0, "failed": 0, "first": None, "last": None, "undated": 0,
                                  **{name: Counter() for name in LISTS}})
    for folder, _, files in os.walk(root):
        if "CloudTrail-Digest" in folder:
            continue
        for name in sorted(files):
            path = os.path.join(folder, name)
            if "_CloudTrail_" not in name:
                continue  # manifest.json and the like: not trail files
            if name.endswith(".json.gz"):
                with gzip.open(path, "rt", encoding="utf-8") as f:
                    document = json.load(f)
            elif name.endswith(".json"):
                with open(path, encoding="utf-8") as f:
                    document = json.load(f)
            else:
                continue
            for event in document["Records"]:
                p = people[principal(event)]
                p["events"] += 1
                code = event.get("errorCode")
                if code is not None and code != "":
                    p["failed"] += 1
                moment = when(event.get("eventTime"))
                if moment is None:
                    p["undated"] += 1
                else:
                    p["first"] = moment if p["first"] is None else min(p["first"], moment)
                    p["last"] = moment if p["last"] is None else max(p["last"], moment)
                account = text(event.get("recipientAccountId")) or text(get(event, "userIdentity", "accountId"))
                if account is not None:
                    p["accounts"][account] += 1
                for field, key in (("awsRegion", "regions"), ("sourceIPAddress", "source_addresses"), ("userAgent", "user_agents")):
                    value = text(event.get(field))
                    if value is not None:
                        p[key][value] += 1
                access_key = text(get(event, "userIdentity", "accessKeyId"))
                if access_key:
                    p["temporary_keys" if access_key.startswith("ASIA") else "long_term_keys"][access_key] += 1
                event_name = text(event.get("eventName"))
                if event_name is not None:
                    service = text(event.get("eventSource")) or ""
                    if service.endswith(".amazonaws.com"):
                        service = service[: -len(".amazonaws.com")]
                    p["calls"][f"{service}:{event_name}"] += 1
    out = {}
    for key, p in people.items():
        out[key] = {**p, "first": p["first"] and stamp(p["first"]), "last": p["last"] and stamp(p["last"])}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
