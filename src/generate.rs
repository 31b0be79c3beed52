//! A realistic CloudTrail corpus in the S3 layout, deterministic by seed, for benchmarks, scale
//! and equivalence tests (`cargo run --release --example generate_trails -- --out DIR --events N`).
//!
//! A realistic mix of services and calls (many `Describe*`/`Get*`, some writes), identities
//! (assumed roles, IAM users, AWS services, a little root), failed calls, `null` and large
//! `requestParameters`/`responseElements`, about 1.7 KB an event, gzipped `{"Records": [...]}`
//! files of a few hundred events under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, and
//! digest files beside them. Known violations are planted; `manifest.json` says how many of each.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

/// xorshift64*: small, fast and deterministic; statistical quality is plenty for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-8{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.hex(3),
            self.hex(12)
        )
    }
}

const ACCOUNTS: [&str; 4] = [
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
];
const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
const AGENTS: [&str; 5] = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.150.0",
    "Boto3/1.34.61 md/Botocore#1.34.61 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.2",
    "terraform-provider-aws/5.40.0 (+https://registry.terraform.io) aws-sdk-go-v2/1.25.2",
    "AWS Internal",
];

/// (eventSource, eventName, weight, read-only)
const CALLS: [(&str, &str, u64, bool); 24] = [
    ("ec2.amazonaws.com", "DescribeInstances", 120, true),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 40, true),
    ("ec2.amazonaws.com", "DescribeVolumes", 30, true),
    ("ec2.amazonaws.com", "RunInstances", 6, false),
    (
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        3,
        false,
    ),
    ("ec2.amazonaws.com", "CreateLaunchTemplate", 2, false),
    ("s3.amazonaws.com", "GetBucketAcl", 60, true),
    ("s3.amazonaws.com", "ListBuckets", 20, true),
    ("s3.amazonaws.com", "PutBucketPolicy", 2, false),
    ("sts.amazonaws.com", "AssumeRole", 120, false),
    ("sts.amazonaws.com", "GetCallerIdentity", 30, true),
    ("kms.amazonaws.com", "Decrypt", 90, true),
    ("kms.amazonaws.com", "GenerateDataKey", 40, true),
    ("iam.amazonaws.com", "GetRole", 25, true),
    ("iam.amazonaws.com", "CreateAccessKey", 2, false),
    ("iam.amazonaws.com", "AttachRolePolicy", 2, false),
    ("cloudtrail.amazonaws.com", "LookupEvents", 10, true),
    ("cloudtrail.amazonaws.com", "StopLogging", 1, false),
    (
        "autoscaling.amazonaws.com",
        "DescribeAutoScalingGroups",
        20,
        true,
    ),
    (
        "autoscaling.amazonaws.com",
        "CreateLaunchConfiguration",
        2,
        false,
    ),
    ("lambda.amazonaws.com", "Invoke", 40, false),
    ("logs.amazonaws.com", "CreateLogStream", 30, false),
    ("signin.amazonaws.com", "ConsoleLogin", 3, false),
    ("guardduty.amazonaws.com", "DeleteDetector", 1, false),
];

fn identity(rng: &mut Rng, account: &str) -> Value {
    match rng.below(100) {
        0 => {
            json!({"type": "Root", "principalId": account, "arn": format!("arn:aws:iam::{account}:root"), "accountId": account,
                    "accessKeyId": format!("ASIA{}", rng.hex(16).to_uppercase())})
        }
        1..=15 => {
            let user = rng
                .pick(&["alice", "bob", "carol", "deploy-bot", "ci"])
                .to_string();
            json!({"type": "IAMUser", "principalId": format!("AIDA{}", rng.hex(17).to_uppercase()),
                   "arn": format!("arn:aws:iam::{account}:user/{user}"), "accountId": account,
                   "accessKeyId": format!("AKIA{}", rng.hex(16).to_uppercase()), "userName": user})
        }
        16..=35 => {
            json!({"type": "AWSService", "invokedBy": rng.pick(&["ec2.amazonaws.com", "lambda.amazonaws.com", "autoscaling.amazonaws.com", "cloudformation.amazonaws.com"])})
        }
        _ => {
            let role = rng
                .pick(&[
                    "deploy",
                    "app-runtime",
                    "OrganizationAccountAccessRole",
                    "AWSReservedSSO_Admin_0123456789abcdef",
                    "eks-node",
                ])
                .to_string();
            let session = format!("session-{}", rng.hex(10));
            json!({"type": "AssumedRole", "principalId": format!("AROA{}:{session}", rng.hex(17).to_uppercase()),
                   "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"), "accountId": account,
                   "accessKeyId": format!("ASIA{}", rng.hex(16).to_uppercase()),
                   "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": format!("AROA{}", rng.hex(17).to_uppercase()),
                        "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account, "userName": role},
                        "webIdFederationData": {}, "attributes": {"creationDate": "2024-05-01T00:00:00Z", "mfaAuthenticated": "false"}}})
        }
    }
}

fn request(
    rng: &mut Rng,
    source: &str,
    name: &str,
    planted: &mut BTreeMap<String, usize>,
) -> (Value, Value) {
    let big_list = |rng: &mut Rng, n: usize| -> Value {
        Value::Array((0..n).map(|_| json!({"instanceId": format!("i-{}", rng.hex(17)), "instanceType": "m5.large",
            "privateIpAddress": format!("10.{}.{}.{}", rng.below(255), rng.below(255), rng.below(255)),
            "tagSet": {"items": [{"key": "Name", "value": format!("web-{}", rng.hex(6))}, {"key": "team", "value": "payments"}]}})).collect())
    };
    match (source, name) {
        ("ec2.amazonaws.com", "DescribeInstances") => {
            let n = if rng.chance(5) { 12 } else { 1 };
            (
                json!({"instancesSet": {}, "filterSet": {"items": [{"name": "tag:team", "valueSet": {"items": [{"value": "payments"}]}}]}}),
                if rng.chance(60) {
                    Value::Null
                } else {
                    json!({"reservationSet": {"items": big_list(rng, n)}})
                },
            )
        }
        ("autoscaling.amazonaws.com", "CreateLaunchConfiguration") => {
            let bad = rng.chance(50);
            if bad {
                *planted
                    .entry("launch-configuration-unencrypted-ebs-and-no-imdsv2".into())
                    .or_default() += 1;
            }
            (
                json!({"launchConfigurationName": format!("lc-{}", rng.hex(6)), "imageId": "ami-0abcdef1234567890", "instanceType": "t3.micro",
                    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": if bad { json!({"volumeSize": 8}) } else { json!({"volumeSize": 8, "encrypted": true}) }}],
                    "metadataOptions": if bad { json!({"httpTokens": "optional"}) } else { json!({"httpTokens": "required"}) }}),
                Value::Null,
            )
        }
        ("ec2.amazonaws.com", "CreateLaunchTemplate") => {
            let public = rng.chance(50);
            if public {
                *planted
                    .entry("launch-template-public-ip".into())
                    .or_default() += 1;
            }
            (
                json!({"CreateLaunchTemplateRequest": {"LaunchTemplateName": format!("lt-{}", rng.hex(6)), "LaunchTemplateData": {
                "InstanceType": "t3.micro", "MetadataOptions": {"HttpTokens": "required"}, "Monitoring": {"Enabled": true},
                "NetworkInterface": {"AssociatePublicIpAddress": public, "DeviceIndex": 0, "tag": 1},
                "BlockDeviceMapping": {"Ebs": {"VolumeSize": 20, "Encrypted": true}, "tag": 1, "DeviceName": "/dev/xvda"}}}}),
                Value::Null,
            )
        }
        ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress") => {
            let open = rng.chance(30);
            if open {
                *planted
                    .entry("security-group-open-to-world".into())
                    .or_default() += 1;
            }
            (
                json!({"groupId": format!("sg-{}", rng.hex(17)), "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                "ipRanges": {"items": [{"cidrIp": if open { "0.0.0.0/0".to_string() } else { format!("10.0.{}.0/24", rng.below(255)) }}]}, "ipv6Ranges": {}, "prefixListIds": {}, "groups": {}}]}}),
                json!({"_return": true}),
            )
        }
        ("sts.amazonaws.com", "AssumeRole") => (
            json!({"roleArn": format!("arn:aws:iam::{}:role/app-runtime", rng.pick(&ACCOUNTS)), "roleSessionName": format!("s-{}", rng.hex(12)), "durationSeconds": 3600}),
            json!({"credentials": {"accessKeyId": format!("ASIA{}", rng.hex(16).to_uppercase()), "sessionToken": rng.hex(400), "expiration": "May 1, 2024, 1:00:00 AM"},
                   "assumedRoleUser": {"assumedRoleId": format!("AROA{}:s", rng.hex(17).to_uppercase()), "arn": "arn:aws:sts::111111111111:assumed-role/app-runtime/s"}}),
        ),
        ("kms.amazonaws.com", _) => (
            json!({"encryptionContext": {"aws:lambda:FunctionArn": format!("arn:aws:lambda:us-east-1:111111111111:function:fn-{}", rng.hex(8))},
                   "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
            Value::Null,
        ),
        ("s3.amazonaws.com", "PutBucketPolicy") => (
            json!({"bucketName": format!("data-{}", rng.hex(6)), "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}}),
            Value::Null,
        ),
        ("lambda.amazonaws.com", "Invoke") => {
            let size = if rng.chance(3) { 6000 } else { 200 };
            (
                json!({"functionName": format!("fn-{}", rng.hex(8)), "payload": rng.hex(size)}),
                Value::Null,
            )
        }
        _ if rng.chance(30) => (Value::Null, Value::Null),
        _ => (json!({"name": format!("res-{}", rng.hex(10))}), Value::Null),
    }
}

/// Writes `events` events under `out` in files of `per_file` events, and `manifest.json`;
/// returns the manifest.
pub fn generate(out: &Path, events: u64, seed: u64, per_file: u64) -> std::io::Result<Value> {
    let per_file = per_file.max(1);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let weights: u64 = CALLS.iter().map(|c| c.2).sum();
    let mut planted: BTreeMap<String, usize> = BTreeMap::new();
    let mut written = 0u64;
    let mut files = 0u64;
    let mut bytes = 0u64;
    let mut minute = 0u64;
    while written < events {
        let account = *rng.pick(&ACCOUNTS);
        let region = *rng.pick(&REGIONS);
        let day = 1 + (minute / (24 * 60)) % 28;
        let (hh, mm) = ((minute / 60) % 24, minute % 60);
        let dir = out.join(format!(
            "AWSLogs/{account}/CloudTrail/{region}/2024/05/{day:02}"
        ));
        std::fs::create_dir_all(&dir)?;
        let n = per_file.min(events - written);
        let mut records = Vec::with_capacity(n as usize);
        for i in 0..n {
            let mut pick = rng.below(weights);
            let &(source, name, _, read_only) = CALLS
                .iter()
                .find(|c| {
                    if pick < c.2 {
                        true
                    } else {
                        pick -= c.2;
                        false
                    }
                })
                .unwrap_or(&CALLS[0]);
            let (request, response) = request(&mut rng, source, name, &mut planted);
            let mut record = json!({
                "eventVersion": "1.09",
                "userIdentity": identity(&mut rng, account),
                "eventTime": format!("2024-05-{day:02}T{hh:02}:{mm:02}:{:02}Z", i % 60),
                "eventSource": source,
                "eventName": name,
                "awsRegion": region,
                "sourceIPAddress": format!("{}.{}.{}.{}", 1 + rng.below(223), rng.below(256), rng.below(256), 1 + rng.below(254)),
                "userAgent": *rng.pick(&AGENTS),
                "requestParameters": request,
                "responseElements": response,
                "requestID": rng.uuid(),
                "eventID": rng.uuid(),
                "readOnly": read_only,
                "eventType": "AwsApiCall",
                "managementEvent": true,
                "recipientAccountId": account,
                "eventCategory": "Management",
                "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": source},
            });
            if rng.chance(5) {
                record["errorCode"] = json!(if read_only {
                    "AccessDenied"
                } else {
                    "Client.UnauthorizedOperation"
                });
                record["errorMessage"] = json!("User is not authorized to perform this operation");
                record["responseElements"] = Value::Null;
            }
            records.push(record);
        }
        let body = serde_json::to_vec(&json!({"Records": records}))?;
        let name = format!(
            "{account}_CloudTrail_{region}_2024050{}T{hh:02}{mm:02}Z_{}.json.gz",
            day % 10,
            rng.hex(16)
        );
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&body)?;
        let gz = encoder.finish()?;
        std::fs::write(dir.join(name), &gz)?;
        if files % 50 == 0 {
            let digest_dir = out.join(format!(
                "AWSLogs/{account}/CloudTrail-Digest/{region}/2024/05/{day:02}"
            ));
            std::fs::create_dir_all(&digest_dir)?;
            let digest = json!({"awsAccountId": account, "digestStartTime": "2024-05-01T00:00:00Z", "digestEndTime": "2024-05-01T01:00:00Z",
                "digestPublicKeyFingerprint": rng.hex(32), "digestSignatureAlgorithm": "SHA256withRSA", "logFiles": []});
            std::fs::write(
                digest_dir.join(format!(
                    "{account}_CloudTrail-Digest_{region}_trail_{region}_{}.json.gz",
                    rng.hex(8)
                )),
                serde_json::to_vec(&digest)?,
            )?;
        }
        bytes += body.len() as u64;
        written += n;
        files += 1;
        minute += 7;
    }
    let manifest = json!({"seed": seed, "events": written, "files": files, "uncompressed_bytes": bytes,
        "bytes_per_event": bytes / written.max(1), "planted": planted});
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(manifest)
}
