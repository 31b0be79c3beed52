//! Turning the paths a user gave into the list of trail files to read, in a deterministic order.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use super::{Input, InputError, SkipReason, Skipped, TrailFile};

/// The result of walking the inputs. Files are listed, not opened, so memory does not depend on
/// their contents.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<TrailFile>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<InputError>,
    /// Files inside directories whose names are not trail file names (`README.md`, `.DS_Store`).
    pub ignored: usize,
}

impl Discovery {
    /// Adds the files of another discovery (the S3 objects to the local files) after these.
    pub fn append(&mut self, other: Discovery) {
        self.files.extend(other.files);
        self.skipped.extend(other.skipped);
        self.errors.extend(other.errors);
        self.ignored += other.ignored;
    }
}

/// Walks the inputs. Directories are searched recursively in file-name order; files given
/// explicitly are always read, whatever their name.
pub fn discover(inputs: &[Input]) -> Discovery {
    let mut discovery = Discovery::default();
    let mut seen: HashSet<Arc<str>> = HashSet::new();
    for input in inputs {
        match input {
            Input::Stdin => {
                let name: Arc<str> = Arc::from("<stdin>");
                if seen.insert(name.clone()) {
                    discovery.files.push(TrailFile {
                        name,
                        path: None,
                        remote: None,
                    });
                }
            }
            Input::Path(path) => discover_path(path, &mut discovery, &mut seen),
        }
    }
    discovery
}

fn discover_path(root: &Path, discovery: &mut Discovery, seen: &mut HashSet<Arc<str>>) {
    let root_name: Arc<str> = Arc::from(root.display().to_string());
    let metadata = match std::fs::metadata(root) {
        Ok(metadata) => metadata,
        Err(err) => {
            discovery.errors.push(InputError::file(
                &root_name,
                format!("cannot open: {}", describe_io(&err)),
            ));
            return;
        }
    };
    if !metadata.is_dir() {
        add_file(root, root_name, discovery, seen);
        return;
    }
    let before = (discovery.files.len(), discovery.skipped.len());
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        // Hidden directories (.git, .cache) hold no trails; the root itself is always walked.
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir() && e.file_name().to_string_lossy().starts_with('.'))
        });
    let mut candidates = 0;
    for entry in walker {
        match entry {
            Ok(entry) => {
                let file_type = entry.file_type();
                if file_type.is_dir() {
                    continue;
                }
                let path = entry.path();
                if !file_type.is_file() {
                    // Opening a FIFO blocks until a writer comes, and a device may never end:
                    // accounted for, never read.
                    if is_trail_file_name(path) {
                        discovery.skipped.push(Skipped {
                            file: Arc::from(path.display().to_string()),
                            reason: SkipReason::NotRegularFile,
                        });
                    } else {
                        discovery.ignored += 1;
                    }
                    continue;
                }
                if is_trail_file_name(path) {
                    candidates += 1;
                    add_file(path, Arc::from(path.display().to_string()), discovery, seen);
                } else {
                    discovery.ignored += 1;
                }
            }
            Err(err) => {
                let at = err.path().unwrap_or(root).display().to_string();
                let reason = if err.loop_ancestor().is_some() {
                    "symbolic link loop; the loop was not followed".to_string()
                } else {
                    err.io_error().map_or_else(|| err.to_string(), describe_io)
                };
                discovery.errors.push(InputError::file(
                    &Arc::from(at),
                    format!("cannot read directory entry: {reason}"),
                ));
            }
        }
    }
    let found_files = discovery.files.len() > before.0;
    let found_digests = discovery.skipped[before.1..]
        .iter()
        .any(|s| s.reason == SkipReason::Digest);
    // A directory whose trail files were all listed already (given twice) is not empty.
    if !found_files && (candidates == 0 || found_digests) {
        let message = if found_digests {
            "no trail files in this directory (only CloudTrail digest files, which hold no events); point trailgate at the CloudTrail/ folder or its parent"
        } else {
            "no trail files in this directory (looked for *.json, *.json.gz, *.jsonl, *.ndjson and *.gz, recursively)"
        };
        discovery.errors.push(InputError::file(&root_name, message));
    }
}

fn add_file(path: &Path, name: Arc<str>, discovery: &mut Discovery, seen: &mut HashSet<Arc<str>>) {
    // `dir` and `./dir/` name the same files: compare real paths where they resolve.
    let key: Arc<str> = std::fs::canonicalize(path)
        .map(|p| Arc::from(p.display().to_string()))
        .unwrap_or_else(|_| name.clone());
    if !seen.insert(key) {
        return;
    }
    if is_digest_path(path) {
        discovery.skipped.push(Skipped {
            file: name,
            reason: SkipReason::Digest,
        });
    } else {
        discovery.files.push(TrailFile {
            name,
            path: Some(path.to_path_buf()),
            remote: None,
        });
    }
}

/// CloudTrail writes digests under `CloudTrail-Digest/` with `_CloudTrail-Digest_` in the name.
pub(super) fn is_digest_path(path: &Path) -> bool {
    path.components()
        .any(|c| c.as_os_str() == "CloudTrail-Digest")
        || path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("_CloudTrail-Digest_"))
}

pub(super) fn is_trail_file_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    [".json", ".jsonl", ".ndjson", ".gz"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

fn describe_io(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        // ELOOP: a symbolic link that leads back to itself.
        _ if err.raw_os_error() == Some(40) => {
            "too many levels of symbolic links (a symbolic link loop)".to_string()
        }
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_paths() {
        assert!(is_digest_path(Path::new(
            "AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/01/1_CloudTrail-Digest_us-east-1_x.json.gz"
        )));
        assert!(is_digest_path(Path::new(
            "x/1_CloudTrail-Digest_us-east-1.json.gz"
        )));
        assert!(!is_digest_path(Path::new(
            "AWSLogs/1/CloudTrail/us-east-1/f.json.gz"
        )));
    }

    #[test]
    fn trail_file_names() {
        assert!(is_trail_file_name(Path::new("a/b.json.gz")));
        assert!(is_trail_file_name(Path::new("b.JSONL")));
        assert!(!is_trail_file_name(Path::new("README.md")));
        assert!(!is_trail_file_name(Path::new(".hidden.json")));
    }
}
