//! Trail objects in Amazon S3 or an S3-compatible store, read without downloading a copy first.
//! The interface is here; the client (`client.rs`, object_store and tokio) is the only part
//! behind the `s3` feature. A build without it (the fuzz targets) still recognises `s3://`
//! inputs and reports each as an input that cannot be read, with the reason.

#[cfg(feature = "s3")]
mod client;

#[cfg(feature = "s3")]
pub use client::{Fetcher, ObjectVersion, Remote};

use super::Discovery;
use crate::time::Timestamp;

/// The prefix of the URLs read from S3.
pub const SCHEME: &str = "s3://";

/// True for an `s3://` URL (an input to list in S3 rather than a local path).
pub fn is_s3_url(input: &str) -> bool {
    input.starts_with(SCHEME)
}

/// How to reach the store and what the listing may leave out.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// `--endpoint-url`: an S3-compatible store (MinIO, a local test server). Without it the
    /// `AWS_ENDPOINT_URL` variable, else AWS itself.
    pub endpoint: Option<String>,
    /// Requests in flight at once, for listing and for fetching ahead of the workers.
    pub concurrency: usize,
    /// Only these accounts (`AWSLogs/<account>/`); empty: any.
    pub accounts: Vec<String>,
    /// Only these regions (`CloudTrail/<region>/`); empty: any.
    pub regions: Vec<String>,
    /// Only days of the layout that may hold events at or after this instant.
    pub since: Option<Timestamp>,
    /// Only days of the layout that may hold events before this instant.
    pub until: Option<Timestamp>,
}

/// Lists the objects under each URL and returns them as files to read, in key order per URL.
/// Errors (a missing bucket, access denied, no S3 support in this build) are values naming the
/// URL, as for local paths.
pub fn discover(urls: &[String], options: &S3Options) -> Discovery {
    #[cfg(feature = "s3")]
    return client::discover(urls, options);
    #[cfg(not(feature = "s3"))]
    {
        let _ = options;
        let mut discovery = Discovery::default();
        for url in urls {
            discovery.errors.push(super::InputError::file(
                &std::sync::Arc::from(url.as_str()),
                "this trailgate was built without S3 support (the `s3` feature); build it with the default features",
            ));
        }
        discovery
    }
}

/// No object can exist in a build without the `s3` feature.
#[cfg(not(feature = "s3"))]
#[derive(Debug, Clone)]
pub enum Remote {}

/// What tells one version of an object from another (see the `s3` build).
#[cfg(not(feature = "s3"))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub etag: Option<String>,
    pub size: u64,
}

#[cfg(not(feature = "s3"))]
impl Remote {
    pub fn version(&self) -> Option<&ObjectVersion> {
        match *self {}
    }

    pub fn forget(&self) {
        match *self {}
    }

    pub(in crate::source) fn fetch(&self) -> Result<Vec<u8>, String> {
        match *self {}
    }

    pub(in crate::source) fn read_decoded(
        &self,
        _limits: &super::ReadLimits,
    ) -> Result<(Vec<u8>, u64), String> {
        match *self {}
    }
}
