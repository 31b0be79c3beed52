//! The architecture's one rule that the compiler does not check: no import cycle between the
//! top-level modules of `src/` (docs/architecture.md). A lower layer (`finding`, `rule`,
//! `source`) never names a higher one (`engine`, `report`, `cli`), directly or through others.
//!
//! Reads the sources as text: every `crate::MODULE` outside a comment is an edge. Doc comments
//! may name a higher module ("evaluated by `crate::correlate`") without making a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module -> the top-level modules it names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let first = relative.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = fs::read_to_string(&file).expect("read a source file");
        let edges = graph.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let code = code.split(" //").next().unwrap_or(code);
            for (at, _) in code.match_indices("crate::") {
                let name: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    edges.insert(name);
                }
            }
        }
    }
    graph
}

/// A path from `from` back to `to`, if one exists.
fn path_between(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if from == to {
        return Some(vec![to.to_string()]);
    }
    if !seen.insert(from.to_string()) {
        return None;
    }
    for next in graph.get(from).into_iter().flatten() {
        if let Some(mut rest) = path_between(graph, next, to, seen) {
            rest.insert(0, from.to_string());
            return Some(rest);
        }
    }
    None
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = module_graph();
    assert!(
        graph.contains_key("finding") && graph.contains_key("engine") && graph.contains_key("cli"),
        "the module walk found {:?}",
        graph.keys().collect::<Vec<_>>()
    );
    let mut cycles = Vec::new();
    for (module, edges) in &graph {
        for next in edges {
            if let Some(path) = path_between(&graph, next, module, &mut BTreeSet::new()) {
                cycles.push(format!("{module} -> {}", path.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_result_layer_names_no_stage_above_it() {
    let graph = module_graph();
    let above = [
        "engine",
        "correlate",
        "first_seen",
        "baseline",
        "report",
        "cli",
        "state",
    ];
    for lower in ["finding", "rule", "source", "time"] {
        for upper in above {
            assert!(
                !graph[lower].contains(upper),
                "`{lower}` names `crate::{upper}`, a layer above it (docs/architecture.md)"
            );
        }
    }
}
