//! The S3 client (the `s3` feature): `discover` lists the objects under `s3://bucket/prefix` URLs (narrowing the listing by the
//! `AWSLogs/` layout when accounts, regions or a time window are given) and turns them into
//! `TrailFile`s whose bytes come from a shared `Fetcher`. The fetcher runs its own small tokio
//! runtime and fetches objects ahead of the rayon workers that read them, a bounded number at a
//! time, so the engine never waits on the network one object after another and never knows
//! where its bytes came from.

use std::collections::{HashMap, HashSet};
use std::path::Path as FsPath;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, RetryConfig};
use tokio::task::JoinHandle;

use super::{S3Options, SCHEME};
use crate::source::discover::{is_digest_path, is_trail_file_name};
use crate::source::read::decode_slice;
use crate::source::{Discovery, InputError, ReadLimits, SkipReason, Skipped, TrailFile};
use crate::time::days_from_civil;

/// `s3://bucket/key` split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct S3Url {
    bucket: String,
    key: String,
}

fn parse_url(url: &str) -> Result<S3Url, String> {
    let rest = url.strip_prefix(SCHEME).unwrap_or(url);
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err("no bucket name: write s3://BUCKET/PREFIX".into());
    }
    Ok(S3Url {
        bucket: bucket.to_string(),
        key: key.to_string(),
    })
}

/// Fetches objects for the workers, ahead of them. Shared by every `TrailFile` of one scan.
pub struct Fetcher {
    runtime: tokio::runtime::Runtime,
    /// Every object of the scan, by index: its store and key.
    objects: Mutex<Vec<(Arc<AmazonS3>, Path)>>,
    state: Mutex<FetchState>,
    /// Objects fetched or being fetched and not yet taken by a worker, at most.
    window: usize,
    stores: Mutex<HashMap<String, Arc<AmazonS3>>>,
    endpoint: Option<String>,
}

#[derive(Default)]
struct FetchState {
    started: HashMap<usize, JoinHandle<Result<Vec<u8>, String>>>,
    taken: HashSet<usize>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// One object of a scan: where `TrailFile::read_decoded` gets its bytes.
#[derive(Debug, Clone)]
pub struct Remote {
    fetcher: Arc<Fetcher>,
    index: usize,
    /// As listed; `None` for an object named by its key (not listed).
    version: Option<ObjectVersion>,
}

impl Remote {
    /// The object's ETag and size as listed, which `--state` remembers it by; `None` for an
    /// object named by its full key, which is not listed (and so read every run).
    pub fn version(&self) -> Option<&ObjectVersion> {
        self.version.as_ref()
    }

    /// The scan will not read this object: it is not fetched ahead.
    pub fn forget(&self) {
        self.fetcher.forget(self.index);
    }

    /// Fetches (or takes the prefetched) object: its bytes as stored.
    pub(in crate::source) fn fetch(&self) -> Result<Vec<u8>, String> {
        self.fetcher.take(self.index)
    }

    /// Fetches (or takes the prefetched) object and decodes it like a local file.
    pub(in crate::source) fn read_decoded(
        &self,
        limits: &ReadLimits,
    ) -> Result<(Vec<u8>, u64), String> {
        let bytes = self.fetcher.take(self.index)?;
        decode_slice(&bytes, limits)
    }
}

impl Fetcher {
    pub fn new(options: &S3Options) -> Result<Arc<Fetcher>, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            // Network waits only; the decoding and the rules run on the rayon workers.
            .worker_threads(2)
            .thread_name("trailgate-s3")
            .enable_all()
            .build()
            .map_err(|err| format!("cannot start the S3 client: {err}"))?;
        Ok(Arc::new(Fetcher {
            runtime,
            objects: Mutex::new(Vec::new()),
            state: Mutex::new(FetchState::default()),
            window: options.concurrency.max(1),
            stores: Mutex::new(HashMap::new()),
            endpoint: options.endpoint.clone(),
        }))
    }

    fn store(&self, bucket: &str) -> Result<Arc<AmazonS3>, String> {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = stores.get(bucket) {
            return Ok(store.clone());
        }
        // The standard variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
        // AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, web identity (EKS, GitHub OIDC),
        // ECS task roles, then the instance metadata service (EC2, EMR).
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_retry(RetryConfig {
                max_retries: 4,
                retry_timeout: Duration::from_secs(60),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &self.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        } else if std::env::var("AWS_ENDPOINT_URL").is_ok_and(|e| e.starts_with("http://")) {
            builder = builder.with_allow_http(true);
        }
        let store = Arc::new(
            builder
                .build()
                .map_err(|err| format!("cannot set up the S3 client: {}", describe(&err)))?,
        );
        stores.insert(bucket.to_string(), store.clone());
        Ok(store)
    }

    fn add(
        self: &Arc<Self>,
        store: Arc<AmazonS3>,
        key: Path,
        version: Option<ObjectVersion>,
    ) -> Remote {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        objects.push((store, key));
        Remote {
            fetcher: self.clone(),
            index: objects.len() - 1,
            version,
        }
    }

    /// Object `index` will not be read (`--state` found it unchanged): never fetch it ahead,
    /// and drop a fetch already started.
    fn forget(&self, index: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.taken.insert(index);
        if let Some(handle) = state.started.remove(&index) {
            handle.abort();
        }
    }

    fn spawn(&self, index: usize) -> JoinHandle<Result<Vec<u8>, String>> {
        let (store, key) = self.objects.lock().unwrap_or_else(|e| e.into_inner())[index].clone();
        self.runtime.spawn(async move {
            let result = async { store.get(&key).await?.bytes().await }.await;
            result.map(|b| b.to_vec()).map_err(|err| describe(&err))
        })
    }

    /// The bytes of object `index`. Starts fetching the objects after it (the worker's next
    /// ones, as rayon hands each worker a run of consecutive files), up to `window` objects
    /// held or in flight, so memory stays bounded.
    fn take(&self, index: usize) -> Result<Vec<u8>, String> {
        let handle = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.taken.insert(index);
            let handle = match state.started.remove(&index) {
                Some(handle) => handle,
                None => self.spawn(index),
            };
            let count = self.objects.lock().unwrap_or_else(|e| e.into_inner()).len();
            let mut next = index + 1;
            while state.started.len() < self.window && next < count.min(index + 1 + 2 * self.window)
            {
                if !state.taken.contains(&next) && !state.started.contains_key(&next) {
                    let ahead = self.spawn(next);
                    state.started.insert(next, ahead);
                }
                next += 1;
            }
            handle
        };
        match self.runtime.block_on(handle) {
            Ok(result) => result,
            Err(err) => Err(format!("the fetch failed: {err}")),
        }
    }

    /// Lists everything under `url`, narrowed by `options`.
    fn list(
        &self,
        store: &Arc<AmazonS3>,
        url: &S3Url,
        options: &S3Options,
    ) -> Result<Vec<Listed>, String> {
        let prefix = url.key.trim_matches('/');
        let root = Path::from(prefix);
        let narrow = &Narrow::new(options);
        let level = Level::of(prefix);
        let concurrency = options.concurrency.max(1);
        self.runtime
            .block_on(async {
                let mut keys = Vec::new();
                if narrow.is_everything() || level == Level::Other {
                    keys = flat(store, &root).await?;
                } else {
                    let mut frontier = vec![(root, level)];
                    while !frontier.is_empty() {
                        let lists = futures_util::stream::iter(frontier.drain(..).map(
                            |(node, level)| async move {
                                if narrow.applies_below(level) {
                                    let listed = store
                                        .list_with_delimiter(
                                            // The bucket root is no prefix at all, not "/".
                                            (!node.as_ref().is_empty()).then_some(&node),
                                        )
                                        .await?;
                                    let mut children = Vec::new();
                                    for child in listed.common_prefixes {
                                        let name = child.filename().unwrap_or_default().to_string();
                                        if let Some(next) = narrow.descend(level, &name) {
                                            children.push((child, next));
                                        }
                                    }
                                    let objects =
                                        listed.objects.into_iter().map(Listed::from).collect();
                                    Ok::<_, object_store::Error>((objects, children))
                                } else {
                                    Ok((flat(store, &node).await?, Vec::new()))
                                }
                            },
                        ))
                        .buffer_unordered(concurrency)
                        .try_collect::<Vec<_>>()
                        .await?;
                        for (objects, children) in lists {
                            keys.extend(objects);
                            frontier.extend(children);
                        }
                    }
                }
                keys.sort();
                Ok(keys)
            })
            .map_err(|err: object_store::Error| describe(&err))
    }
}

/// An object as a listing gave it: its key (as S3 gave it, never encoded twice) and its
/// version (ETag and size), which `--state` remembers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Listed {
    key: Path,
    version: ObjectVersion,
}

impl From<object_store::ObjectMeta> for Listed {
    fn from(meta: object_store::ObjectMeta) -> Listed {
        Listed {
            key: meta.location,
            version: ObjectVersion {
                etag: meta.e_tag,
                size: meta.size,
            },
        }
    }
}

/// What tells one version of an object from another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectVersion {
    pub etag: Option<String>,
    pub size: u64,
}

/// Every object under `root`, as listed.
async fn flat(store: &Arc<AmazonS3>, root: &Path) -> Result<Vec<Listed>, object_store::Error> {
    let root = (!root.as_ref().is_empty()).then_some(root);
    store.list(root).map_ok(Listed::from).try_collect().await
}

/// Where a listing prefix sits in CloudTrail's layout:
/// `AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Above `AWSLogs/` (the bucket root, or a prefix holding `AWSLogs/`).
    Above,
    /// `AWSLogs/`: accounts or organization ids below.
    AwsLogs,
    /// `AWSLogs/o-org/`: accounts below.
    Org,
    /// `AWSLogs/<account>/`: `CloudTrail/`, `CloudTrail-Digest/` below.
    Account,
    /// `.../CloudTrail/`: regions below.
    Service,
    Region,
    Year(i64),
    Month(i64, i64),
    /// Anywhere else: listed whole.
    Other,
}

impl Level {
    fn of(prefix: &str) -> Level {
        let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        let Some(at) = segments.iter().rposition(|s| *s == "AWSLogs") else {
            return if segments.is_empty() {
                Level::Above
            } else {
                Level::Other
            };
        };
        let mut level = Level::AwsLogs;
        for segment in &segments[at + 1..] {
            level = match level.child(segment) {
                Some(next) => next,
                None => return Level::Other,
            };
        }
        level
    }

    /// The level of a child named `name`, if it fits the layout.
    fn child(self, name: &str) -> Option<Level> {
        let number = |digits: usize| {
            (name.len() == digits && name.bytes().all(|b| b.is_ascii_digit()))
                .then(|| name.parse::<i64>().ok())
                .flatten()
        };
        match self {
            Level::Above => (name == "AWSLogs").then_some(Level::AwsLogs),
            Level::AwsLogs if name.starts_with("o-") => Some(Level::Org),
            Level::AwsLogs | Level::Org => number(12).map(|_| Level::Account),
            Level::Account => {
                matches!(name, "CloudTrail" | "CloudTrail-Digest").then_some(Level::Service)
            }
            Level::Service => Some(Level::Region),
            Level::Region => number(4).map(Level::Year),
            Level::Year(y) => number(2).map(|m| Level::Month(y, m)),
            Level::Month(..) | Level::Other => None,
        }
    }
}

/// What `--account`, `--region`, `--since` and `--until` let the listing leave out.
#[derive(Debug, Clone)]
struct Narrow {
    accounts: Vec<String>,
    regions: Vec<String>,
    /// Day numbers whose folders are listed. CloudTrail files a day's events under the day
    /// they were delivered, up to about 15 minutes later: one day more on each side is kept,
    /// and the time window itself still decides each event.
    first_day: Option<i64>,
    last_day: Option<i64>,
}

impl Narrow {
    fn new(options: &S3Options) -> Narrow {
        Narrow {
            accounts: options.accounts.clone(),
            regions: options.regions.clone(),
            first_day: options.since.map(|t| t.day_number() - 1),
            last_day: options.until.map(|t| t.day_number() + 1),
        }
    }

    fn is_everything(&self) -> bool {
        self.accounts.is_empty()
            && self.regions.is_empty()
            && self.first_day.is_none()
            && self.last_day.is_none()
    }

    fn has_days(&self) -> bool {
        self.first_day.is_some() || self.last_day.is_some()
    }

    /// Is there anything to leave out below a prefix at `level` (else it is listed whole)?
    fn applies_below(&self, level: Level) -> bool {
        match level {
            Level::Above | Level::AwsLogs | Level::Org => !self.is_everything(),
            Level::Account | Level::Service => !self.regions.is_empty() || self.has_days(),
            Level::Region | Level::Year(_) | Level::Month(..) => self.has_days(),
            Level::Other => false,
        }
    }

    /// The level of child `name` of a prefix at `level`, or `None` to leave it out. Children
    /// outside the layout are listed whole, as a local scan would walk them.
    fn descend(&self, level: Level, name: &str) -> Option<Level> {
        if let Level::Month(y, m) = level {
            // A day folder: kept or not by its date, then listed whole.
            return match name.parse::<i64>() {
                Ok(day) if name.len() == 2 => {
                    let start = days_from_civil(y, m, day);
                    self.overlaps(start, start + 1).then_some(Level::Other)
                }
                _ => Some(Level::Other),
            };
        }
        let Some(child) = level.child(name) else {
            return Some(Level::Other);
        };
        let keep = match child {
            Level::Account => self.accounts.is_empty() || self.accounts.iter().any(|a| a == name),
            Level::Region => self.regions.is_empty() || self.regions.iter().any(|r| r == name),
            Level::Year(y) => self.overlaps(days_from_civil(y, 1, 1), days_from_civil(y + 1, 1, 1)),
            Level::Month(y, m) => {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                self.overlaps(days_from_civil(y, m, 1), days_from_civil(ny, nm, 1))
            }
            _ => true,
        };
        keep.then_some(child)
    }

    /// Does the day range `[start, end)` meet the kept days?
    fn overlaps(&self, start: i64, end: i64) -> bool {
        self.first_day.is_none_or(|first| end > first)
            && self.last_day.is_none_or(|last| start <= last)
    }
}

/// A message that tells the user what to do, for the errors S3 gives.
fn describe(err: &object_store::Error) -> String {
    let text = err.to_string();
    let has = |needle: &str| text.contains(needle);
    // Refused credentials come first: S3 answers them with 403 too, like AccessDenied.
    if has("NoSuchBucket") {
        "the bucket does not exist (NoSuchBucket): check its name, and AWS_REGION for a bucket in another region".into()
    } else if has("InvalidAccessKeyId")
        || has("SignatureDoesNotMatch")
        || matches!(err, object_store::Error::Unauthenticated { .. })
    {
        format!("the credentials were refused: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN ({})", last_line(&text))
    } else if has("AccessDenied")
        || has("403 Forbidden")
        || matches!(err, object_store::Error::PermissionDenied { .. })
    {
        format!("access denied: the credentials in use may not read this bucket or prefix; they need s3:ListBucket and s3:GetObject (and kms:Decrypt for SSE-KMS); check which credentials are in use (AWS_ACCESS_KEY_ID or a role; named profiles are not read) and the bucket policy ({})", last_line(&text))
    } else if let object_store::Error::NotFound { .. } = err {
        "no such object (it was deleted, or the key is misspelled)".into()
    } else if has("PermanentRedirect") || has("301 Moved") {
        "the bucket is in another region: set AWS_REGION to the bucket's region".into()
    } else {
        format!("S3 request failed: {}", last_line(&text))
    }
}

/// S3's own `Code: Message` when the error carries its XML body, else the most specific of
/// object_store's nested causes.
fn last_line(text: &str) -> String {
    let tag = |name: &str| -> Option<&str> {
        let start = text.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(&text[start..end])
    };
    if let (Some(code), Some(message)) = (tag("Code"), tag("Message")) {
        return format!("{code}: {message}");
    }
    text.rsplit(": ")
        .find(|s| !s.trim().is_empty())
        .unwrap_or(text)
        .trim()
        .chars()
        .take(300)
        .collect()
}

/// Lists the objects under each URL and returns them as files to read, in key order per URL.
/// Errors (a missing bucket, access denied) are values naming the URL, as for local paths.
pub(super) fn discover(urls: &[String], options: &S3Options) -> Discovery {
    let mut discovery = Discovery::default();
    if urls.is_empty() {
        return discovery;
    }
    let fetcher = match Fetcher::new(options) {
        Ok(fetcher) => fetcher,
        Err(message) => {
            for url in urls {
                discovery
                    .errors
                    .push(InputError::file(&Arc::from(url.as_str()), message.clone()));
            }
            return discovery;
        }
    };
    let mut seen: HashSet<String> = HashSet::new();
    for url in urls {
        let name: Arc<str> = Arc::from(url.as_str());
        let parsed = match parse_url(url) {
            Ok(parsed) => parsed,
            Err(message) => {
                discovery.errors.push(InputError::file(&name, message));
                continue;
            }
        };
        let store = match fetcher.store(&parsed.bucket) {
            Ok(store) => store,
            Err(message) => {
                discovery.errors.push(InputError::file(&name, message));
                continue;
            }
        };
        // A key named like a trail file is one object, read whatever its name (like a file
        // given on the command line): no listing, so a scheduler's list of objects costs
        // nothing before the reading starts.
        if !parsed.key.ends_with('/') && is_trail_file_name(FsPath::new(&parsed.key)) {
            // The key as written, not percent-encoded.
            let key = Path::parse(&parsed.key).unwrap_or_else(|_| Path::from(parsed.key.as_str()));
            add(
                &fetcher,
                &store,
                &parsed.bucket,
                (key, None),
                &mut discovery,
                &mut seen,
            );
            continue;
        }
        let keys = match fetcher.list(&store, &parsed, options) {
            Ok(keys) => keys,
            Err(message) => {
                discovery.errors.push(InputError::file(&name, message));
                continue;
            }
        };
        let before = (discovery.files.len(), discovery.skipped.len());
        let mut candidates = 0;
        let root_depth = parsed
            .key
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .count();
        for listed in keys {
            let key = listed.key.as_ref();
            let segments: Vec<&str> = key.split('/').collect();
            // Hidden folders below the prefix hold no trails, as in a local walk.
            if segments
                .get(root_depth..segments.len().saturating_sub(1))
                .unwrap_or_default()
                .iter()
                .any(|s| s.starts_with('.'))
            {
                continue;
            }
            if is_trail_file_name(FsPath::new(key)) {
                candidates += 1;
                add(
                    &fetcher,
                    &store,
                    &parsed.bucket,
                    (listed.key.clone(), Some(listed.version.clone())),
                    &mut discovery,
                    &mut seen,
                );
            } else {
                discovery.ignored += 1;
            }
        }
        let found_files = discovery.files.len() > before.0;
        let found_digests = discovery.skipped.len() > before.1;
        if !found_files && (candidates == 0 || found_digests) {
            let message = if found_digests {
                "no trail objects under this prefix (only CloudTrail digest files, which hold no events); point trailgate at the CloudTrail/ prefix or its parent"
            } else {
                "no trail objects under this prefix (looked for *.json, *.json.gz, *.jsonl, *.ndjson and *.gz; --account, --region, --since and --until narrow the listing)"
            };
            discovery.errors.push(InputError::file(&name, message));
        }
    }
    discovery
}

fn add(
    fetcher: &Arc<Fetcher>,
    store: &Arc<AmazonS3>,
    bucket: &str,
    (path, version): (Path, Option<ObjectVersion>),
    discovery: &mut Discovery,
    seen: &mut HashSet<String>,
) {
    let key = path.as_ref();
    let url = format!("{SCHEME}{bucket}/{key}");
    if !seen.insert(url.clone()) {
        return;
    }
    let name: Arc<str> = Arc::from(url);
    if is_digest_path(FsPath::new(key)) {
        discovery.skipped.push(Skipped {
            file: name,
            reason: SkipReason::Digest,
        });
        return;
    }
    let remote = fetcher.add(store.clone(), path, version);
    discovery.files.push(TrailFile {
        name,
        path: None,
        remote: Some(remote),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("s3://b/AWSLogs/1/"),
            Ok(S3Url {
                bucket: "b".into(),
                key: "AWSLogs/1/".into()
            })
        );
        assert_eq!(parse_url("s3://b").unwrap().key, "");
        assert!(parse_url("s3:///x").is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(Level::of(""), Level::Above);
        assert_eq!(Level::of("AWSLogs/"), Level::AwsLogs);
        assert_eq!(Level::of("logs/AWSLogs/o-abc"), Level::Org);
        assert_eq!(Level::of("AWSLogs/123456789012/CloudTrail"), Level::Service);
        assert_eq!(
            Level::of("AWSLogs/o-a/123456789012/CloudTrail/us-east-1/2024/05"),
            Level::Month(2024, 5)
        );
        assert_eq!(
            Level::of("AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01"),
            Level::Other
        );
        assert_eq!(Level::of("somewhere/else"), Level::Other);
    }

    #[test]
    fn narrowing() {
        let options = S3Options {
            accounts: vec!["111111111111".into()],
            regions: vec!["eu-west-1".into()],
            since: parse_rfc3339("2024-05-10"),
            until: parse_rfc3339("2024-05-12"),
            ..S3Options::default()
        };
        let n = Narrow::new(&options);
        assert_eq!(
            n.descend(Level::AwsLogs, "111111111111"),
            Some(Level::Account)
        );
        assert_eq!(n.descend(Level::AwsLogs, "222222222222"), None);
        assert_eq!(n.descend(Level::AwsLogs, "o-xyz"), Some(Level::Org));
        assert_eq!(
            n.descend(Level::Account, "CloudTrail"),
            Some(Level::Service)
        );
        assert_eq!(n.descend(Level::Account, "Other"), Some(Level::Other));
        assert_eq!(n.descend(Level::Service, "us-east-1"), None);
        assert_eq!(n.descend(Level::Region, "2023"), None);
        assert_eq!(n.descend(Level::Region, "2024"), Some(Level::Year(2024)));
        assert_eq!(n.descend(Level::Year(2024), "04"), None);
        assert_eq!(
            n.descend(Level::Year(2024), "05"),
            Some(Level::Month(2024, 5))
        );
        // The day before --since and the day of --until are kept (delivery delay).
        assert_eq!(n.descend(Level::Month(2024, 5), "08"), None);
        assert_eq!(n.descend(Level::Month(2024, 5), "09"), Some(Level::Other));
        assert_eq!(n.descend(Level::Month(2024, 5), "13"), Some(Level::Other));
        assert_eq!(n.descend(Level::Month(2024, 5), "14"), None);
        assert!(!n.applies_below(Level::Other));
        assert!(!Narrow::new(&S3Options::default()).applies_below(Level::AwsLogs));
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let generic = |body: &str| object_store::Error::Generic {
            store: "S3",
            source: body.to_string().into(),
        };
        assert!(describe(&generic("Error: <Code>NoSuchBucket</Code>"))
            .contains("bucket does not exist"));
        let denied = object_store::Error::PermissionDenied {
            path: "k".into(),
            source: "403 Forbidden: <Code>AccessDenied</Code>"
                .to_string()
                .into(),
        };
        assert!(
            describe(&denied).starts_with("access denied: "),
            "{}",
            describe(&denied)
        );
        let refused = object_store::Error::PermissionDenied {
            path: "k".into(),
            source: "403 Forbidden: <Code>InvalidAccessKeyId</Code>"
                .to_string()
                .into(),
        };
        assert!(describe(&refused).starts_with("the credentials were refused"));
        let missing = object_store::Error::NotFound {
            path: "k".into(),
            source: "404".to_string().into(),
        };
        assert!(describe(&missing).starts_with("no such object"));
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            days_from_civil(2024, 5, 10),
            parse_rfc3339("2024-05-10").unwrap().day_number()
        );
    }
}
