#!/usr/bin/env python3
"""Writes docs/examples/audit/: a month of made-up CloudTrail for an organization trail (three
accounts, two regions, several principals), for the audit-report tests, docs and screenshots.

Deterministic: the same files every run (a fixed linear congruential generator, no clock), so
the committed files can be checked by re-running this script and `git diff`. Plain JSON in the
S3 layout (`AWSLogs/o-.../ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json`), plus one JSON Lines
export whose events have no usable `eventTime`.

Usage: scripts/make_audit_example.py [OUT_DIR]   (default: docs/examples/audit)
"""
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORG = "o-a1b2c3d4e5"
ACCOUNTS = ["111122223333", "444455556666", "777788889999"]  # prod, staging, sandbox
REGIONS = ["eu-west-1", "us-east-1"]


class Lcg:
    """Numerical Recipes' LCG: the same numbers on every Python."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 1664525 + 1013904223) % 2**32
        return self.state

    def below(self, n):
        return self.next() * n >> 32

    def pick(self, items):
        return items[self.below(len(items))]

    def chance(self, percent):
        return self.below(100) < percent


def principal(kind, account):
    if kind == "root":
        return {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
        }
    if kind in ("alice", "bob"):
        return {
            "type": "IAMUser",
            "principalId": "AIDA" + kind.upper() + "EXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/{kind}",
            "accountId": account,
            "userName": kind,
        }
    role = {"deploy": "deploy", "terraform": "terraform", "ops": "ops-admin"}[kind]
    session = {"deploy": "ci", "terraform": "plan-apply", "ops": "carol"}[kind]
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{role.upper().replace('-', '')}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{role.upper().replace('-', '')}",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2024-05-01T00:00:00Z"},
        },
    }


AGENTS = {
    "root": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "alice": "aws-cli/2.15.40 Python/3.11.8 Linux/6.1 exe/x86_64.ubuntu.22",
    "bob": "aws-cli/2.15.40 Python/3.11.8 Darwin/23.4.0 exe/arm64",
    "deploy": "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2",
    "terraform": "APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.48.0",
    "ops": "console.amazonaws.com",
}


def launch_configuration(rng, name):
    good = rng.chance(55)
    params = {
        "launchConfigurationName": name,
        "imageId": "ami-0c55b159cbfafe1f0",
        "instanceType": rng.pick(["t3.micro", "t3.small", "m6i.large"]),
        "blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 20, "volumeType": "gp3"}}
        ],
        "securityGroups": ["sg-0a1b2c3d4e5f60718"],
    }
    if good or rng.chance(50):
        params["metadataOptions"] = {"httpTokens": "required", "httpEndpoint": "enabled"}
    if good or rng.chance(50):
        params["blockDeviceMappings"][0]["ebs"]["encrypted"] = True
    if not good and rng.chance(30):
        params["instanceMonitoring"] = {"enabled": False}
    if not good and rng.chance(40):
        params["associatePublicIpAddress"] = True
    return "autoscaling.amazonaws.com", "CreateLaunchConfiguration", params, None


def launch_template(rng, name):
    good = rng.chance(60)
    data = {
        "InstanceType": rng.pick(["t3.micro", "t3.medium", "c7g.large"]),
        "ImageId": "ami-0abcdef1234567890",
        "BlockDeviceMapping": {
            "Ebs": {"VolumeSize": 30, "VolumeType": "gp3"},
            "tag": 1,
            "DeviceName": "/dev/xvda",
        },
        "Monitoring": {"Enabled": True},
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
    }
    if good or rng.chance(50):
        data["BlockDeviceMapping"]["Ebs"]["Encrypted"] = True
    # Templates come from a module that always requires IMDSv2: that control passes.
    if not good and rng.chance(40):
        data["NetworkInterface"] = {
            "AssociatePublicIpAddress": True,
            "DeviceIndex": 0,
            "SubnetId": "subnet-0123456789abcdef0",
            "tag": 1,
        }
    if not good and rng.chance(40):
        del data["Monitoring"]
    params = {"CreateLaunchTemplateRequest": {"LaunchTemplateName": name, "LaunchTemplateData": data}}
    return "ec2.amazonaws.com", "CreateLaunchTemplate", params, None


def noise(rng, _name):
    return rng.pick(
        [
            ("ec2.amazonaws.com", "DescribeInstances", {"maxResults": 100}, None),
            ("sts.amazonaws.com", "AssumeRole", {"roleSessionName": "ci", "durationSeconds": 3600}, None),
            ("s3.amazonaws.com", "ListBuckets", None, None),
            ("iam.amazonaws.com", "GetUser", None, None),
            ("autoscaling.amazonaws.com", "UpdateAutoScalingGroup", {"autoScalingGroupName": "web", "desiredCapacity": 3}, None),
            ("ec2.amazonaws.com", "RunInstances", {"instanceType": "t3.micro", "minCount": 1, "maxCount": 1}, "Client.UnauthorizedOperation"),
        ]
    )


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "examples", "audit"))
    if os.path.isdir(out):
        shutil.rmtree(out)
    rng = Lcg(20240501)
    counter = 0
    for account_index, account in enumerate(ACCOUNTS):
        for region in REGIONS:
            for day in range(1, 32):
                # Each account and region delivers on some days, more often in prod.
                if not rng.chance([70, 45, 30][account_index]):
                    continue
                records = []
                for _ in range(2 + rng.below(3)):
                    counter += 1
                    who = rng.pick(["deploy", "deploy", "terraform", "alice", "bob", "ops"])
                    if account_index == 2 and rng.chance(15) or counter % 37 == 0:
                        who = "root"
                    kind = rng.pick([launch_configuration, launch_template, noise, noise])
                    name = f"{['web', 'api', 'batch', 'worker'][rng.below(4)]}-{counter:03d}"
                    source, event, params, error = kind(rng, name)
                    hour, minute, second = rng.below(24), rng.below(60), rng.below(60)
                    record = {
                        "eventVersion": "1.09",
                        "userIdentity": principal(who, account),
                        "eventTime": f"2024-05-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z",
                        "eventSource": source,
                        "eventName": event,
                        "awsRegion": region,
                        "sourceIPAddress": "console.amazonaws.com" if who == "ops" else f"198.51.100.{10 + rng.below(40)}",
                        "userAgent": AGENTS[who],
                        "requestParameters": params,
                        "responseElements": None,
                        "requestID": f"{counter:08x}-1111-4222-8333-{counter:012x}",
                        "eventID": f"{counter:08x}-aaaa-4bbb-8ccc-{counter:012x}",
                        "readOnly": event.startswith(("Describe", "List", "Get")),
                        "eventType": "AwsApiCall",
                        "managementEvent": True,
                        "recipientAccountId": account,
                        "eventCategory": "Management",
                    }
                    if error:
                        record["errorCode"] = error
                        record["errorMessage"] = "You are not authorized to perform this operation."
                    records.append(record)
                records.sort(key=lambda r: r["eventTime"])
                folder = os.path.join(out, "AWSLogs", ORG, account, "CloudTrail", region, "2024", "05", f"{day:02d}")
                os.makedirs(folder, exist_ok=True)
                stamp = records[-1]["eventTime"].replace("-", "").replace(":", "")[:13]
                name = f"{account}_CloudTrail_{region}_{stamp}Z_{counter:04d}.json"
                with open(os.path.join(folder, name), "w") as f:
                    json.dump({"Records": records}, f, sort_keys=True, separators=(",", ":"))
                    f.write("\n")
    # A hand-made export without usable times: in scope only when no time window is given.
    exports = os.path.join(out, "exports")
    os.makedirs(exports, exist_ok=True)
    with open(os.path.join(exports, "undated.jsonl"), "w") as f:
        for n, time in enumerate([None, "last tuesday"]):
            counter += 1
            record = {
                "userIdentity": principal("alice", ACCOUNTS[2]),
                "eventSource": "autoscaling.amazonaws.com",
                "eventName": "CreateLaunchConfiguration",
                "awsRegion": REGIONS[0],
                "requestParameters": {
                    "launchConfigurationName": f"manual-{n}",
                    "imageId": "ami-0c55b159cbfafe1f0",
                    "instanceType": "t3.micro",
                    "metadataOptions": {"httpTokens": "optional"},
                },
                "eventID": f"{counter:08x}-aaaa-4bbb-8ccc-{counter:012x}",
                "recipientAccountId": ACCOUNTS[2],
            }
            if time:
                record["eventTime"] = time
            f.write(json.dumps(record, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
