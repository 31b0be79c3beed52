//! Helpers for the S3 tests: a local S3-compatible server (moto, started by `.ci/run`) found
//! through `TRAILGATE_TEST_S3_ENDPOINT`, buckets, uploads, and trailgate run against it.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::path::Path;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};

/// The test server's endpoint. Missing: a failure under `CI=true` (`.ci/run` starts moto),
/// otherwise `None` with a loud note so the caller skips.
pub fn endpoint() -> Option<String> {
    if let Ok(endpoint) = std::env::var("TRAILGATE_TEST_S3_ENDPOINT") {
        return Some(endpoint);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "TRAILGATE_TEST_S3_ENDPOINT is not set: CI must run the S3 tests (.ci/run starts a moto server)"
    );
    eprintln!(
        "SKIPPED: set TRAILGATE_TEST_S3_ENDPOINT to an S3-compatible test server, e.g. `moto_server -H 127.0.0.1 -p 5055` and http://127.0.0.1:5055"
    );
    None
}

/// Credentials the test server accepts; also keeps the client off the instance metadata service.
pub const ENV: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
];

/// A bucket name unique to this test process and `name`.
pub fn bucket_name(name: &str) -> String {
    format!("tg-{name}-{}", std::process::id())
}

/// Creates a bucket with a path-style `PUT /bucket` (object_store cannot create buckets).
pub fn create_bucket(endpoint: &str, bucket: &str) {
    let host = endpoint
        .strip_prefix("http://")
        .expect("an http:// endpoint")
        .trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("the S3 test server answers");
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
        "creating bucket {bucket}: {response}"
    );
}

/// Uploads `(key, bytes)` pairs to `bucket`.
pub fn put_all(endpoint: &str, bucket: &str, objects: Vec<(String, Vec<u8>)>) {
    let store = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .with_bucket_name(bucket)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for (key, bytes) in objects {
            store
                .put(&Key::from(key.as_str()), PutPayload::from(bytes))
                .await
                .unwrap_or_else(|e| panic!("uploading {key}: {e}"));
        }
    });
}

/// Every file under `dir`, as (`prefix` + path relative to `dir`, bytes).
pub fn files_under(dir: &Path, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((format!("{prefix}{relative}"), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A fresh bucket holding the files under `dir`, below `prefix`.
pub fn bucket_with(endpoint: &str, name: &str, dir: &Path, prefix: &str) -> String {
    let bucket = bucket_name(name);
    create_bucket(endpoint, &bucket);
    put_all(endpoint, &bucket, files_under(dir, prefix));
    bucket
}
