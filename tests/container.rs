//! The container image definition (Dockerfile): what can be checked without a container daemon.
//! The build stage copies everything a build of this crate reads, the run stage starts from
//! scratch with the binary the build stage made, and .dockerignore keeps none of it out. With a
//! daemon (`docker info` succeeds), the image is also built and run.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dockerfile() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    // Join continued lines, drop comments: (instruction, arguments).
    text.replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (op, rest) = l.split_once(' ').unwrap_or((l, ""));
            (op.to_uppercase(), rest.trim().to_string())
        })
        .collect()
}

#[test]
fn the_build_stage_copies_what_the_build_reads() {
    let copied: Vec<String> = dockerfile()
        .iter()
        .filter(|(op, args)| op == "COPY" && !args.starts_with("--from"))
        .flat_map(|(_, args)| {
            let parts: Vec<&str> = args.split_whitespace().collect();
            parts[..parts.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let ignored: Vec<String> = std::fs::read_to_string(root().join(".dockerignore"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    for source in &copied {
        assert!(root().join(source).exists(), "COPY {source}: no such file");
        assert!(
            !ignored.contains(source),
            "{source} is copied but .dockerignore leaves it out"
        );
    }
    // What cargo reads to build: the manifest, the lock file, the build script, the sources, the
    // embedded rules, and every target the manifest declares by path.
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    let mut needed = vec![
        "Cargo.toml".to_string(),
        "Cargo.lock".into(),
        "build.rs".into(),
        "src".into(),
        "rules".into(),
    ];
    if manifest.get("bench").is_some() {
        needed.push("benches".into());
    }
    for path in &needed {
        assert!(
            copied.contains(path),
            "the build needs {path}; the Dockerfile does not copy it"
        );
    }
}

#[test]
fn the_run_stage_is_the_static_binary_alone() {
    let lines = dockerfile();
    let stages: Vec<&String> = lines
        .iter()
        .filter(|(op, _)| op == "FROM")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(
        stages[0].contains("alpine") && stages[0].ends_with("AS build"),
        "musl build stage: {}",
        stages[0]
    );
    assert_eq!(stages[1], "scratch");
    let build = lines
        .iter()
        .filter(|(op, _)| op == "RUN")
        .map(|(_, a)| a)
        .find(|a| a.contains("cargo build"))
        .expect("a cargo build");
    assert!(
        build.contains("--release") && build.contains("--locked"),
        "{build}"
    );
    assert!(
        build.contains("rules validate"),
        "the build stage runs the binary it built: {build}"
    );
    let entry = lines
        .iter()
        .find(|(op, _)| op == "ENTRYPOINT")
        .map(|(_, a)| a.as_str());
    assert_eq!(entry, Some("[\"/usr/local/bin/trailgate\"]"));
    assert!(lines
        .iter()
        .any(|(op, a)| op == "COPY" && a == "--from=build /trailgate /usr/local/bin/trailgate"));
    assert!(lines
        .iter()
        .any(|(op, a)| op == "USER" && !a.starts_with('0') && !a.starts_with("root")));
}

#[test]
fn the_image_builds_and_runs_when_a_daemon_is_there() {
    let daemon = Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    if !daemon {
        // No container daemon on this machine or in CI: the checks above are what runs here.
        eprintln!("SKIPPED: no container daemon (`docker info` fails); the image is not built");
        return;
    }
    let tag = "trailgate-test:latest";
    let build = Command::new("docker")
        .args(["build", "-q", "-t", tag, "."])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new("docker")
        .args(["run", "--rm", tag, "rules", "list"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains(" in the default set\n"));
}
