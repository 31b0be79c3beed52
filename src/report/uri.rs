//! Trail file names as SARIF artifact URIs: relative to the SARIF root with forward slashes,
//! which is what GitHub code scanning maps onto repository files, and percent-encoded so any
//! file name is a valid URI reference.

use std::path::{Component, Path, PathBuf};

/// How reports name standard input. Percent-encoded it is a valid relative reference that no
/// ordinary repository file is called.
const STDIN_NAME: &str = "<stdin>";

/// A file's URI: relative to `root` when the file is inside it, else an absolute `file://` URI
/// (a file outside the repository cannot be shown in it, but it can still be named).
/// `name` is the file as reports name it; relative names are relative to `cwd`.
pub(super) fn artifact_uri(name: &str, cwd: &Path, root: &Path) -> String {
    if name == STDIN_NAME {
        return encode(name);
    }
    // An S3 object (`s3://bucket/key`) is already an absolute URI.
    if let Some(rest) = name.strip_prefix("s3://") {
        let parts: Vec<String> = rest.split('/').map(encode).collect();
        return format!("s3://{}", parts.join("/"));
    }
    let path = normalize(&cwd.join(name));
    let root = normalize(root);
    match path.strip_prefix(&root) {
        Ok(relative) if relative.components().next().is_some() => relative
            .components()
            .map(|c| encode(&c.as_os_str().to_string_lossy()))
            .collect::<Vec<_>>()
            .join("/"),
        _ => file_uri(&path, false),
    }
}

/// `file:///abs/dir/` for a directory: the trailing slash makes relative URIs resolve inside it.
pub(super) fn directory_uri(dir: &Path) -> String {
    file_uri(&normalize(dir), true)
}

fn file_uri(path: &Path, directory: bool) -> String {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            // A Windows drive (`C:`) stays as it is: `file:///C:/...`.
            Component::Prefix(prefix) => {
                parts.push(prefix.as_os_str().to_string_lossy().replace('\\', "/"))
            }
            Component::Normal(part) => parts.push(encode(&part.to_string_lossy())),
            Component::RootDir | Component::CurDir | Component::ParentDir => {}
        }
    }
    let mut uri = format!("file:///{}", parts.join("/"));
    if directory && !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Removes `.` and resolves `..` without touching the file system: the file may be standard
/// input, gone, or behind a symbolic link whose target is not what the user calls it.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters. `:` in particular must be
/// encoded, or a first segment like `a:b` would read as a URI scheme.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_to_the_root_with_forward_slashes() {
        let cwd = Path::new("/repo");
        let root = Path::new("/repo");
        assert_eq!(artifact_uri("logs/a.json.gz", cwd, root), "logs/a.json.gz");
        assert_eq!(artifact_uri("./logs/../b.json", cwd, root), "b.json");
        assert_eq!(
            artifact_uri("/repo/x/y.json", Path::new("/elsewhere"), root),
            "x/y.json"
        );
        assert_eq!(
            artifact_uri("a.json", Path::new("/repo/sub"), root),
            "sub/a.json"
        );
        assert_eq!(artifact_uri("a.json", cwd, Path::new("/repo/./")), "a.json");
    }

    #[test]
    fn outside_the_root_is_an_absolute_file_uri() {
        let root = Path::new("/repo");
        assert_eq!(
            artifact_uri("/tmp/t.json", Path::new("/repo"), root),
            "file:///tmp/t.json"
        );
        assert_eq!(
            artifact_uri("../other/t.json", Path::new("/repo"), root),
            "file:///other/t.json"
        );
        assert_eq!(
            artifact_uri("/repo", Path::new("/"), root),
            "file:///repo",
            "the root itself is not a file inside it"
        );
    }

    #[test]
    fn unusual_names_are_percent_encoded() {
        let root = Path::new("/repo");
        assert_eq!(
            artifact_uri("my logs/a#1?.json", root, root),
            "my%20logs/a%231%3F.json"
        );
        assert_eq!(artifact_uri("a:b/c.json", root, root), "a%3Ab/c.json");
        assert_eq!(artifact_uri("café.json", root, root), "caf%C3%A9.json");
        assert_eq!(artifact_uri("100%.json", root, root), "100%25.json");
        assert_eq!(artifact_uri("<stdin>", root, root), "%3Cstdin%3E");
    }

    #[test]
    fn s3_objects_keep_their_url() {
        let root = Path::new("/repo");
        assert_eq!(
            artifact_uri("s3://b/AWSLogs/1/a b.json.gz", root, root),
            "s3://b/AWSLogs/1/a%20b.json.gz"
        );
    }

    #[test]
    fn directory_uris_end_with_a_slash() {
        assert_eq!(directory_uri(Path::new("/repo")), "file:///repo/");
        assert_eq!(directory_uri(Path::new("/")), "file:///");
        assert_eq!(directory_uri(Path::new("/a b/")), "file:///a%20b/");
    }
}
