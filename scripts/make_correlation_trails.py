#!/usr/bin/env python3
"""Writes fixtures/correlations/trails/: two CloudTrail files, out of time order, that together
hold a console brute force from one address followed by a successful sign-in, password spraying
from another address, and noise. Split so that neither file alone reaches the brute-force
threshold: the correlation fires only when the two are scanned (or merged) together.

Run from the repository root; the output is committed, so this only documents how it was made.
"""
import json
import os

ACCOUNT = "123456789012"


def login(minute, second, ip, user, outcome, n):
    event = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": f"AIDAEXAMPLE{user.upper()}",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
            "userName": user,
        },
        "eventTime": f"2024-05-02T10:{minute:02d}:{second:02d}Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "Mozilla/5.0",
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": outcome},
        "additionalEventData": {"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"},
        "eventID": f"c0ffee00-0000-4000-8000-{n:012d}",
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": ACCOUNT,
    }
    if outcome == "Failure":
        event["errorMessage"] = "Failed authentication"
    return event


def main():
    out = "fixtures/correlations/trails"
    os.makedirs(out, exist_ok=True)
    n = 0
    brute, spray = [], []
    # 12 failures against alice from 203.0.113.9 within six minutes, then her password works.
    for i in range(12):
        n += 1
        brute.append(login(i // 2, (i % 2) * 30, "203.0.113.9", "alice", "Failure", n))
    n += 1
    brute.append(login(7, 0, "203.0.113.9", "alice", "Success", n))
    # 198.51.100.23 tries six user names once each within four minutes (spraying; below the
    # brute-force count).
    for i, user in enumerate(["bob", "carol", "dave", "erin", "frank", "grace"]):
        n += 1
        spray.append(login(20 + i // 2, (i % 2) * 20, "198.51.100.23", user, "Failure", n))
    # A user who mistypes twice, an hour later: noise.
    for i in range(2):
        n += 1
        spray.append(login(55, i * 10, "192.0.2.44", "heidi", "Failure", n))
    n += 1
    spray.append(login(55, 30, "192.0.2.44", "heidi", "Success", n))
    # Split: even positions in one file, odd in the other, each reversed (no time order).
    events = brute + spray
    first = list(reversed(events[0::2]))
    second = list(reversed(events[1::2]))
    base = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/05/02"
    os.makedirs(os.path.join(out, base), exist_ok=True)
    for name, part in [("a", first), ("b", second)]:
        path = os.path.join(out, base, f"{ACCOUNT}_CloudTrail_us-east-1_20240502T1000Z_{name}.json")
        with open(path, "w") as f:
            json.dump({"Records": part}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
