//! `trailgate scan s3://...` against a local S3-compatible server (moto, started by `.ci/run`):
//! the same findings, errors and counts as a local scan of the same files.

#[path = "common/s3.rs"]
mod s3;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn trailgate(dir: &Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("trailgate")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .envs(s3::ENV)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The JSON report with `s3://bucket/` taken out of every name, and fingerprints made from a
/// file name (findings without an eventID) dropped, so it compares with a local scan.
fn normalized(stdout: &str, bucket: &str) -> Value {
    let text = stdout.replace(&format!("s3://{bucket}/"), "");
    let mut report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    for finding in report["findings"].as_array_mut().unwrap() {
        if finding["event_id"].is_null() {
            finding["fingerprint"] = Value::Null;
        }
    }
    report
}

#[test]
fn fixtures_from_s3_equal_a_local_scan() {
    let Some(endpoint) = s3::endpoint() else {
        return;
    };
    let bucket = s3::bucket_with(&endpoint, "fixtures", &repo().join("fixtures"), "fixtures/");
    let local = trailgate(repo(), &["scan", "--format", "json", "fixtures"]);
    let url = format!("s3://{bucket}/fixtures/");
    let remote = trailgate(
        repo(),
        &[
            "scan",
            "--format",
            "json",
            "--endpoint-url",
            &endpoint,
            &url,
        ],
    );
    // Unreadable fixtures (garbage gzip, truncated files): reported, the rest scanned.
    assert_eq!(local.code, 3, "{}", local.stderr);
    assert_eq!(remote.code, 3, "{}", remote.stderr);
    let report = normalized(&remote.stdout, &bucket);
    assert_eq!(report, normalized(&local.stdout, "-"));
    assert!(report["summary"]["findings"].as_u64().unwrap() > 0);
    assert!(
        report["summary"]["files_skipped"].as_u64().unwrap() > 0,
        "the digest is skipped"
    );
    // A garbage object and a truncated gzip object: reported, and the rest scanned.
    let message = |file: &str| -> String {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"] == file)
            .unwrap_or_else(|| panic!("no error for {file}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message("fixtures/bad/garbage.json.gz").contains("invalid JSON"));
    assert!(message("fixtures/bad/truncated.json.gz").contains("cannot decompress gzip"));
}

#[test]
fn generated_corpus_from_s3_equals_a_local_scan_and_narrows_the_listing() {
    let Some(endpoint) = s3::endpoint() else {
        return;
    };
    let corpus = tempfile::tempdir().unwrap();
    let manifest = trailgate::generate::generate(corpus.path(), 20_000, 5, 25).unwrap();
    let bucket = s3::bucket_with(&endpoint, "corpus", corpus.path(), "");
    // 800 objects over four days of May 2024.
    let url = format!("s3://{bucket}/AWSLogs/");

    let local = trailgate(corpus.path(), &["scan", "--format", "json", "AWSLogs"]);
    let remote = trailgate(
        corpus.path(),
        &[
            "scan",
            "--format",
            "json",
            "--endpoint-url",
            &endpoint,
            "--s3-concurrency",
            "4",
            &url,
        ],
    );
    assert_eq!(local.code, 1, "{}", local.stderr);
    assert_eq!(remote.code, 1, "{}", remote.stderr);
    let report = normalized(&remote.stdout, &bucket);
    assert_eq!(report, normalized(&local.stdout, "-"));
    assert_eq!(
        report["summary"]["events"].as_u64(),
        Some(20_000),
        "{manifest}"
    );

    // One account, one region, a day and a half: the listing leaves out the other prefixes, and the
    // findings are those of the local scan with the same scope.
    let first = report["findings"][0].clone();
    let account = first["account"].as_str().unwrap().to_string();
    let region = first["region"].as_str().unwrap().to_string();
    let scope = [
        "--account",
        &account,
        "--region",
        &region,
        "--since",
        "2024-05-03",
        "--until",
        "2024-05-04T12:00:00Z",
    ];
    let mut local_args = vec!["scan", "--format", "json"];
    local_args.extend(scope);
    local_args.push("AWSLogs");
    let mut remote_args = vec!["scan", "--format", "json", "--endpoint-url", &endpoint];
    remote_args.extend(scope);
    remote_args.push(&url);
    let local = trailgate(corpus.path(), &local_args);
    let remote = trailgate(corpus.path(), &remote_args);
    assert_eq!(local.code, 1, "{}", local.stderr);
    assert_eq!(remote.code, 1, "{}", remote.stderr);
    let (local, remote) = (
        normalized(&local.stdout, "-"),
        normalized(&remote.stdout, &bucket),
    );
    assert_eq!(remote["findings"], local["findings"]);
    assert_eq!(remote["errors"], local["errors"]);
    assert_eq!(remote["summary"]["events"], local["summary"]["events"]);
    assert!(
        remote["summary"]["files_read"].as_u64() < local["summary"]["files_read"].as_u64(),
        "the listing was narrowed: {} objects read, {} local files",
        remote["summary"]["files_read"],
        local["summary"]["files_read"]
    );
}

#[test]
fn paths_from_mixes_objects_and_local_files() {
    let Some(endpoint) = s3::endpoint() else {
        return;
    };
    let trails = repo().join("fixtures/trails");
    let bucket = s3::bucket_with(&endpoint, "list", &trails, "");
    let objects: Vec<String> = s3::files_under(&trails, "")
        .into_iter()
        .map(|(key, _)| format!("s3://{bucket}/{key}"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    // The objects, a local directory, and a blank line.
    std::fs::write(
        &list,
        format!(
            "{}\n\n{}\n",
            objects.join("\n"),
            repo().join("fixtures/events").display()
        ),
    )
    .unwrap();
    let listed = trailgate(
        repo(),
        &[
            "scan",
            "--format",
            "json",
            "--endpoint-url",
            &endpoint,
            "--paths-from",
            list.to_str().unwrap(),
        ],
    );
    let local = trailgate(
        repo(),
        &[
            "scan",
            "--format",
            "json",
            "fixtures/trails",
            repo().join("fixtures/events").to_str().unwrap(),
        ],
    );
    assert_eq!(listed.code, 1, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let local: Value = serde_json::from_str(&local.stdout).unwrap();
    assert_eq!(listed["summary"], local["summary"]);
    let ids = |report: &Value| -> Vec<(String, String, String)> {
        let mut ids: Vec<_> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].to_string(),
                    f["event_id"].to_string(),
                    f["message"].to_string(),
                )
            })
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&listed), ids(&local));
    assert!(listed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["file"].as_str().unwrap().starts_with("s3://")));
}

#[test]
fn missing_bucket_and_missing_object_are_reported_and_the_rest_is_scanned() {
    let Some(endpoint) = s3::endpoint() else {
        return;
    };
    let bucket = s3::bucket_with(&endpoint, "errors", &repo().join("fixtures/trails"), "");
    let missing_bucket = format!("s3://{}-missing/AWSLogs/", bucket);
    let missing_object = format!("s3://{bucket}/AWSLogs/no-such-file.json.gz");
    let empty_prefix = format!("s3://{bucket}/nothing-here/");
    let good = format!("s3://{bucket}/AWSLogs/");
    let run = trailgate(
        repo(),
        &[
            "scan",
            "--format",
            "json",
            "--endpoint-url",
            &endpoint,
            &missing_bucket,
            &missing_object,
            &empty_prefix,
            &good,
        ],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let message = |file: &str| -> String {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"] == file)
            .unwrap_or_else(|| panic!("no error for {file}: {report:#}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        message(&missing_bucket).contains("bucket does not exist"),
        "{}",
        message(&missing_bucket)
    );
    assert!(
        message(&missing_object).contains("no such object"),
        "{}",
        message(&missing_object)
    );
    assert!(
        message(&empty_prefix).contains("no trail objects"),
        "{}",
        message(&empty_prefix)
    );
    let local = trailgate(repo(), &["scan", "--format", "json", "fixtures/trails"]);
    let local: Value = serde_json::from_str(&local.stdout).unwrap();
    assert_eq!(
        report["summary"]["findings"], local["summary"]["findings"],
        "the good prefix was scanned whole"
    );
    assert_eq!(report["summary"]["files_failed"].as_u64(), Some(3));
}

/// A moto server of its own with authentication on (after the four requests that set it up: a
/// bucket, an object, a user without any policy and the user's key): the user is denied.
#[test]
fn access_denied_is_reported_with_what_to_check() {
    if s3::endpoint().is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    /// Stops the server however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Server(
        std::process::Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "4")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m moto.server runs"),
    );
    let setup = std::process::Command::new("python3")
        .args([
            "-c",
            r#"
import sys, time, boto3
kw = dict(endpoint_url=sys.argv[1], aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
for _ in range(300):
    try:
        s3 = boto3.client("s3", **kw)
        s3.create_bucket(Bucket="locked")
        break
    except Exception:
        time.sleep(0.1)
s3.put_object(Bucket="locked", Key="AWSLogs/trail.json", Body=b'{"Records": []}')
iam = boto3.client("iam", **kw)
iam.create_user(UserName="nobody")
key = iam.create_access_key(UserName="nobody")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
"#,
            &endpoint,
        ])
        .output()
        .unwrap();
    let keys = String::from_utf8(setup.stdout).unwrap();
    let run = keys.split_whitespace().collect::<Vec<_>>();
    assert_eq!(
        run.len(),
        2,
        "setup: {}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let output = Command::cargo_bin("trailgate")
        .unwrap()
        .args(["scan", "--format", "json", "--endpoint-url", &endpoint])
        .arg("s3://locked/AWSLogs/trail.json")
        .env("AWS_ACCESS_KEY_ID", run[0])
        .env("AWS_SECRET_ACCESS_KEY", run[1])
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = report["errors"][0]["message"].as_str().unwrap().to_string();
    assert!(message.starts_with("access denied: "), "{message}");
    assert!(message.contains("s3:GetObject"), "{message}");
    assert!(
        message.contains("(AccessDenied: Access Denied)"),
        "{message}"
    );
}

/// `--state` over S3: a listed object is remembered by its URL, ETag and size, so the next run
/// fetches none of them; an object written again (a new ETag) is read again, alone.
#[test]
fn state_remembers_listed_objects_by_etag() {
    let Some(endpoint) = s3::endpoint() else {
        return;
    };
    let bucket = s3::bucket_with(
        &endpoint,
        "state",
        &repo().join("fixtures/trails"),
        "trails/",
    );
    let url = format!("s3://{bucket}/trails/");
    let store = tempfile::tempdir().unwrap();
    let state = store.path().to_str().unwrap();
    let scan = || {
        let run = trailgate(
            repo(),
            &[
                "scan",
                "--format",
                "json",
                "--fail-on",
                "never",
                "--state",
                state,
                "--endpoint-url",
                &endpoint,
                &url,
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str::<Value>(&run.stdout).unwrap()
    };
    let first = scan();
    let read = first["summary"]["files_read"].as_u64().unwrap();
    assert!(read >= 2, "{:#}", first["summary"]);
    assert!(first["summary"]["findings"].as_u64().unwrap() > 0);
    let second = scan();
    assert_eq!(
        second["summary"]["files_read"], 0,
        "{:#}",
        second["summary"]
    );
    assert_eq!(second["summary"]["files_unchanged"], read);
    assert_eq!(second["summary"]["findings"], 0);

    // One object written again with other bytes: a new ETag and size.
    let (key, bytes) = s3::files_under(&repo().join("fixtures/trails"), "trails/")
        .into_iter()
        .find(|(key, _)| key.contains("/CloudTrail/") && key.ends_with(".json.gz"))
        .expect("a trail file in fixtures/trails");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(&bytes[..]),
        &mut text,
    )
    .unwrap();
    let mut changed: Value = serde_json::from_str(&text).unwrap();
    let first_record = changed["Records"][0].clone();
    changed["Records"]
        .as_array_mut()
        .unwrap()
        .push(first_record);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, changed.to_string().as_bytes()).unwrap();
    s3::put_all(&endpoint, &bucket, vec![(key, encoder.finish().unwrap())]);
    let third = scan();
    assert_eq!(third["summary"]["files_read"], 1, "{:#}", third["summary"]);
    assert_eq!(third["summary"]["files_unchanged"], read - 1);
}
