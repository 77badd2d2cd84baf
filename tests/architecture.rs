//! The layering rules of docs/ARCHITECTURE.md, checked on the source itself:
//! no import cycle between top-level modules, and the pure modules (`compare`,
//! `stats`, `record`, `report`, `history`, `dashboard`) touch no file, process or
//! network.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/compare/latency.rs` -> `compare`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Source text without comments (line comments and doc comments), so that a
/// module named in prose is not an import.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Modules each top-level module refers to through `crate::<module>`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let from = module_of(f);
        if from == "lib" || from == "main" {
            continue;
        }
        let text = code(&std::fs::read_to_string(f).unwrap());
        let deps = g.entry(from.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let name = match name.as_str() {
                "Error" | "Result" => "error".to_string(),
                _ => name,
            };
            if name != from && modules.contains(&name) {
                deps.insert(name);
            }
        }
        // `use crate::{a, b::c}` groups.
        for (i, _) in text.match_indices("use crate::{") {
            let rest = &text[i + "use crate::{".len()..];
            let group = &rest[..rest.find("};").unwrap_or(rest.len())];
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name != from && modules.contains(&name) {
                    deps.insert(name);
                }
            }
        }
    }
    g
}

/// A cycle in `g`, if there is one, as the list of modules on it.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|x| x == m).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, g, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_import_cycle_between_modules() {
    let g = graph();
    assert!(g.len() > 10, "module graph looks wrong: {g:?}");
    if let Some(c) = find_cycle(&g) {
        panic!("import cycle: {}", c.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), vec!["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn pure_modules_touch_no_file_process_or_network() {
    let forbidden = [
        "std::fs",
        "std::process",
        "crate::fs",
        "crate::store",
        "crate::engine",
        "reqwest",
        "std::net",
        "git2",
    ];
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for f in &files {
        let m = module_of(f);
        if ![
            "compare",
            "stats",
            "record",
            "report",
            "history",
            "dashboard",
        ]
        .contains(&m.as_str())
        {
            continue;
        }
        // Unit tests may build fixtures on disk; the product code may not.
        let text = std::fs::read_to_string(f).unwrap();
        let product = match text.find("#[cfg(test)]") {
            Some(i) => &text[..i],
            None => &text,
        };
        let product = code(product);
        for word in forbidden {
            if product.contains(word) {
                found.push(format!("{}: {word}", f.display()));
            }
        }
    }
    assert!(found.is_empty(), "I/O in a pure module: {found:#?}");
}

#[test]
fn the_layers_point_down() {
    // What a layer may not use: the domain never reaches the adapters or the
    // commands, and nothing below the commands reaches the CLI.
    let g = graph();
    let domain = [
        "suite",
        "record",
        "compare",
        "history",
        "report",
        "dashboard",
        "stats",
    ];
    let above_domain = [
        "store", "engine", "github", "commands", "cli", "env", "dataset",
    ];
    let mut bad = Vec::new();
    for d in domain {
        for m in g.get(d).into_iter().flatten() {
            if above_domain.contains(&m.as_str()) {
                bad.push(format!("{d} -> {m}"));
            }
        }
    }
    for (from, deps) in &g {
        if from != "cli" && deps.contains("cli") {
            bad.push(format!("{from} -> cli"));
        }
        if !["cli", "commands"].contains(&from.as_str()) && deps.contains("commands") {
            bad.push(format!("{from} -> commands"));
        }
    }
    assert!(bad.is_empty(), "layering broken: {bad:?}");
}
