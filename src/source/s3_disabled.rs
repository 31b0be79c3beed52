//! `s3://` inputs in a build without the `s3` feature (the fuzz targets, or a build that leaves
//! the S3 client out): the same interface as `s3.rs`, and every S3 URL is an input that cannot be
//! read, with the reason, so nothing is skipped silently.

use super::{Discovery, InputError, ReadLimits};
use crate::time::Timestamp;

/// The prefix of the URLs read from S3.
pub const SCHEME: &str = "s3://";

/// True for an `s3://` URL (an input to list in S3 rather than a local path).
pub fn is_s3_url(input: &str) -> bool {
    input.starts_with(SCHEME)
}

/// How to reach the store and what the listing may leave out (unused in this build).
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    pub endpoint: Option<String>,
    pub concurrency: usize,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// No object can exist in this build.
#[derive(Debug, Clone)]
pub enum Remote {}

impl Remote {
    pub(super) fn fetch(&self) -> Result<Vec<u8>, String> {
        match *self {}
    }

    pub(super) fn read_decoded(&self, _limits: &ReadLimits) -> Result<(Vec<u8>, u64), String> {
        match *self {}
    }
}

/// Every URL is an error: this build cannot read S3.
pub fn discover(urls: &[String], _options: &S3Options) -> Discovery {
    let mut discovery = Discovery::default();
    for url in urls {
        discovery.errors.push(InputError::file(
            &std::sync::Arc::from(url.as_str()),
            "this trailgate was built without S3 support (the `s3` feature); build it with the default features",
        ));
    }
    discovery
}
