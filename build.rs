//! Embeds the built-in rule packs (`rules/**/*.yaml`) in the binary, so `trailgate scan` works
//! with no flags and no files beside it; and names the HTML report's script by its SHA-256 for
//! the report's Content Security Policy, computed here once rather than on every report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("/// (path relative to rules/, contents) of every built-in rule file.\npub(crate) static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file
            .strip_prefix(&root)
            .expect("under rules/")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("write generated rule list");
    script_hash();
}

/// `$OUT_DIR/script_hash.rs`: the base64 SHA-256 of `src/report/html/report.js`, as a CSP
/// `script-src 'sha256-...'` source wants it.
fn script_hash() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let script = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("src/report/html/report.js");
    println!("cargo:rerun-if-changed={}", script.display());
    let bytes = std::fs::read(&script).expect("read the HTML report's script");
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&bytes));
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("script_hash.rs");
    std::fs::write(
        dest,
        format!("/// base64 of the SHA-256 of `html/report.js`.\npub(crate) const SCRIPT_SHA256: &str = {hash:?};\n"),
    )
    .expect("write the script hash");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
}
