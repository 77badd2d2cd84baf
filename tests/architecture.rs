//! The layering rules of docs/ARCHITECTURE.md, checked on the source itself:
//! no import cycle between top-level modules, nor between the files of one
//! top-level module; the domain modules (`suite`, `record`, `compare`,
//! `explain`, `history`, `report`, `dashboard`, `stats`) import no adapter (`store`,
//! `engine`, `model_graph`, `github`, `env`, `devstate`, `dataset`, `preprocess`) and touch no
//! file, process or network.
//!
//! Each check is a function of the source text, and each has a test that plants
//! a violation in made-up source and sees the check fail on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The domain: pure modules (strings and numbers from documents).
const DOMAIN: [&str; 8] = [
    "suite",
    "record",
    "compare",
    "explain",
    "history",
    "report",
    "dashboard",
    "stats",
];

/// The adapters: everything that reaches a runtime, a file, a process or the network.
const ADAPTERS: [&str; 9] = [
    "store",
    "engine",
    "model_graph",
    "github",
    "env",
    "devstate",
    "dataset",
    "preprocess",
    "machine",
];

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

/// Every source file as (path relative to `src/` with `/`, text).
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(src()).unwrap();
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (rel, std::fs::read_to_string(f).unwrap())
        })
        .collect()
}

/// The top-level module a file belongs to (`compare/latency.rs` -> `compare`).
fn module_of(rel: &str) -> String {
    let first = rel.split('/').next().unwrap();
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

/// The product code of a file: without its comments and its unit tests (the
/// `#[cfg(test)]` part, which comes last in every file).
fn product(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    code(text)
}

/// Modules each top-level module refers to through `crate::<module>`.
fn graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().map(|(f, _)| module_of(f)).collect();
    let mut g = Graph::new();
    for (f, text) in files {
        let from = module_of(f);
        if from == "lib" || from == "main" {
            continue;
        }
        let text = code(text);
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

// ---------------------------------------------------------------------------
// Files: which file of a module names the items of which other file.
// ---------------------------------------------------------------------------

/// The module path of a file: `engine/litert/mod.rs` -> `engine::litert`,
/// `engine/ort.rs` -> `engine::ort`, `lib.rs` -> the crate root.
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "mod.rs" | "lib.rs" | "main.rs" => {}
        _ => parts.push(last.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// The modules a file declares (`mod a;`, `pub mod b;`, `pub(crate) mod c {`).
fn declared_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "mod") {
            if words[..i].iter().all(|w| w.starts_with("pub")) {
                if let Some(name) = words.get(i + 1) {
                    let name: String = name
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            }
        }
    }
    out
}

/// A path of identifiers and its use-tree groups, read from `chars[at..]`:
/// `a::b::{c, d::e as f, self, *}` gives `a::b::c`, `a::b::d::e`, `a::b`, `a::b`.
/// Returns the full paths and where the path ends.
fn use_tree(chars: &[char], mut at: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let skip_ws = |mut i: usize| {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let mut path = prefix;
    loop {
        at = skip_ws(at);
        if at < chars.len() && chars[at] == '{' {
            let mut out = Vec::new();
            at += 1;
            loop {
                at = skip_ws(at);
                if at >= chars.len() {
                    return (out, at);
                }
                match chars[at] {
                    '}' => return (out, at + 1),
                    ',' => at += 1,
                    _ => {
                        let (paths, end) = use_tree(chars, at, path.clone());
                        out.extend(paths);
                        // Skip what the tree did not read (`as alias`).
                        at = end;
                        while at < chars.len() && !matches!(chars[at], ',' | '}') {
                            at += 1;
                        }
                    }
                }
            }
        }
        if at < chars.len() && chars[at] == '*' {
            return (vec![path], at + 1);
        }
        let start = at;
        while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
            at += 1;
        }
        if start == at {
            return (vec![path], at);
        }
        let ident: String = chars[start..at].iter().collect();
        if ident != "self" {
            path.push(ident);
        }
        let next = skip_ws(at);
        if chars.get(next) == Some(&':') && chars.get(next + 1) == Some(&':') {
            at = next + 2;
        } else {
            return (vec![path], at);
        }
    }
}

/// The paths a file's code names that start at `crate`, `super`, `self` or one
/// of the modules it declares, as absolute module paths.
fn named_paths(rel: &str, code: &str) -> Vec<Vec<String>> {
    let here = module_path(rel);
    let children = declared_modules(code);
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !(c.is_alphabetic() || c == '_') {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        // An identifier that continues a path (`x::crate`) is not a start.
        let before = chars[..start].iter().rev().find(|c| !c.is_whitespace());
        if before == Some(&':') || chars.get(i) != Some(&':') || chars.get(i + 1) != Some(&':') {
            continue;
        }
        let ident: String = chars[start..i].iter().collect();
        let mut base = match ident.as_str() {
            "crate" => Vec::new(),
            "self" | "super" => here.clone(),
            m if children.contains(m) => {
                let mut p = here.clone();
                p.push(m.to_string());
                p
            }
            _ => continue,
        };
        let mut at = i + 2;
        if ident == "super" {
            base.pop();
            // `super::super::...`
            let super_ = ['s', 'u', 'p', 'e', 'r', ':', ':'];
            while chars[at..].starts_with(&super_) {
                base.pop();
                at += 7;
            }
        }
        let (paths, end) = use_tree(&chars, at, base);
        out.extend(paths);
        i = end.max(i);
    }
    out
}

/// Which file of `files` a module path names: the file of its longest prefix
/// that is a module (`engine::ort::PathSession` -> `engine/ort.rs`).
fn file_named(path: &[String], by_module: &BTreeMap<Vec<String>, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .find_map(|k| by_module.get(&path[..k]).cloned())
}

/// Files each file imports within its own top-level module: the files whose
/// items it names through `crate::m::b`, `super::b`, `self::b`, a declared
/// module `b::` or a `use` of them (`pub use` re-exports included; `mod b;`
/// declarations are not imports). Unit tests are left out.
fn file_graph(files: &[(String, String)]) -> Graph {
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|(f, _)| (module_path(f), f.clone()))
        .collect();
    let mut g = Graph::new();
    for (f, text) in files {
        let top = module_of(f);
        if top == "lib" || top == "main" {
            continue;
        }
        let deps = g.entry(f.clone()).or_default();
        for path in named_paths(f, &product(text)) {
            if path.first() != Some(&top) {
                continue;
            }
            if let Some(to) = file_named(&path, &by_module) {
                if &to != f {
                    deps.insert(to);
                }
            }
        }
    }
    g
}

/// A cycle in `g`, if there is one, as the list of nodes on it.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &Graph,
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

/// Every set of nodes that lie on a common cycle (the strongly connected
/// components with more than one node), each sorted.
fn cycles(g: &Graph) -> Vec<BTreeSet<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(n) = todo.pop() {
            for m in g.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    todo.push(m.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = g.keys().map(|n| (n, reach(n))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for (n, r) in &reaches {
        if !r.contains(*n) || out.iter().any(|c| c.contains(*n)) {
            continue;
        }
        let scc: BTreeSet<String> = r
            .iter()
            .filter(|m| reaches.get(m).is_some_and(|back| back.contains(*n)))
            .cloned()
            .collect();
        out.push(scc);
    }
    out
}

/// The file cycles of `g`, as lines naming their files.
fn file_cycles(g: &Graph) -> Vec<String> {
    cycles(g)
        .into_iter()
        .map(|c| {
            let files: Vec<&str> = c.iter().map(String::as_str).collect();
            format!("{} (e.g. {})", files.join(", "), example(g, &c))
        })
        .collect()
}

/// One cycle through the files of `scc`, as `a -> b -> a`.
fn example(g: &Graph, scc: &BTreeSet<String>) -> String {
    let sub: Graph = scc
        .iter()
        .map(|n| {
            let deps = g[n].iter().filter(|m| scc.contains(*m)).cloned().collect();
            (n.clone(), deps)
        })
        .collect();
    find_cycle(&sub).unwrap_or_default().join(" -> ")
}

/// Imports of a runtime backend (`engine/ort.rs`, `engine/litert/`,
/// `engine/external/`) or of the worker protocol that go past the seam
/// (`engine/backend.rs`): to another backend, to `session.rs`, anywhere else in
/// `engine/`. The files of one backend's folder may import each other.
fn seam_violations(g: &Graph) -> Vec<String> {
    let folder = |f: &str| {
        ["engine/litert/", "engine/external/"]
            .into_iter()
            .find(|d| f.starts_with(d))
    };
    let mut bad = Vec::new();
    for (f, deps) in g {
        if folder(f).is_none() && !["engine/ort.rs", "engine/protocol.rs"].contains(&f.as_str()) {
            continue;
        }
        for d in deps {
            if d != "engine/backend.rs" && !(folder(f).is_some() && folder(f) == folder(d)) {
                bad.push(format!("{f} -> {d}"));
            }
        }
    }
    bad
}

/// Imports that break the layering: a domain module importing an adapter or the
/// commands, the commands imported from below them, the CLI imported at all.
fn layering_violations(g: &Graph) -> Vec<String> {
    let mut bad = Vec::new();
    for d in DOMAIN {
        for m in g.get(d).into_iter().flatten() {
            if ADAPTERS.contains(&m.as_str()) || ["commands", "cli"].contains(&m.as_str()) {
                bad.push(format!("{d} -> {m}"));
            }
        }
    }
    for (from, deps) in g {
        if from != "cli" && deps.contains("cli") {
            bad.push(format!("{from} -> cli"));
        }
        if !["cli", "commands"].contains(&from.as_str()) && deps.contains("commands") {
            bad.push(format!("{from} -> commands"));
        }
    }
    bad.sort();
    bad.dedup();
    bad
}

/// File, process or network access in the product code of a domain module.
fn io_in_domain(files: &[(String, String)]) -> Vec<String> {
    let forbidden = [
        "std::fs",
        "std::process",
        "std::net",
        "crate::fs",
        "crate::store",
        "crate::engine",
        "crate::dataset",
        "crate::preprocess",
        "crate::devstate",
        "reqwest",
        "git2",
    ];
    let mut found = Vec::new();
    for (f, text) in files {
        if !DOMAIN.contains(&module_of(f).as_str()) {
            continue;
        }
        // Unit tests may build fixtures on disk; the product code may not.
        let product = product(text);
        for word in forbidden {
            if product.contains(word) {
                found.push(format!("{f}: {word}"));
            }
        }
    }
    found
}

fn planted(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect()
}

#[test]
fn no_import_cycle_between_modules() {
    let g = graph(&sources());
    assert!(g.len() > 10, "module graph looks wrong: {g:?}");
    if let Some(c) = find_cycle(&g) {
        panic!("import cycle: {}", c.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), vec!["a", "b", "c", "a"]);
    assert_eq!(cycles(&g), vec![["a", "b", "c"].map(String::from).into()]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
    assert!(cycles(&g).is_empty());
}

#[test]
fn no_import_cycle_between_the_files_of_a_module() {
    let g = file_graph(&sources());
    assert!(
        g["engine/measure.rs"].contains("engine/protocol.rs"),
        "file graph looks wrong: {g:?}"
    );
    let bad = file_cycles(&g);
    assert!(bad.is_empty(), "import cycles between files: {bad:#?}");
}

#[test]
fn a_cycle_between_files_is_found_whatever_the_path_says() {
    // mod.rs re-exports from a child that names an item of mod.rs.
    let g = file_graph(&planted(&[
        ("m/mod.rs", "mod a;\npub use a::A;\npub struct B;\n"),
        ("m/a.rs", "use super::B;\npub struct A(B);\n"),
    ]));
    assert_eq!(file_cycles(&g).len(), 1, "{g:?} {:?}", cycles(&g));
    // Siblings through `crate::m::x`, a `use` group and `super::x` in code.
    let g = file_graph(&planted(&[
        ("m/mod.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
        ("m/a.rs", "use crate::m::{b::B, other};\n"),
        ("m/b.rs", "fn f() { super::c::g() }\n"),
        ("m/c.rs", "pub fn g() { let _ = crate::m::a::X; }\n"),
    ]));
    let c = cycles(&g);
    assert_eq!(c.len(), 1, "{g:?}");
    assert_eq!(c[0].len(), 3, "{c:?}");
    // A nested module reaching two levels up, and back down by `self::`.
    let g = file_graph(&planted(&[
        (
            "m/mod.rs",
            "pub mod n;\nuse self::n::deep::D;\npub struct T;\n",
        ),
        ("m/n/mod.rs", "pub mod deep;\n"),
        ("m/n/deep.rs", "use super::super::T;\npub struct D;\n"),
    ]));
    assert_eq!(cycles(&g).len(), 1, "{g:?}");
    // The same files without the way back: no cycle; imports of other top-level modules and of tests do not count.
    let g = file_graph(&planted(&[
        ("m/mod.rs", "mod a;\npub use a::A;\n"),
        (
            "m/a.rs",
            "use crate::other::B;\npub struct A;\n#[cfg(test)]\nmod tests { use crate::m::X; }\n",
        ),
        ("other/mod.rs", "pub struct B; // crate::m::A\n"),
    ]));
    assert!(cycles(&g).is_empty(), "{g:?}");
}

#[test]
fn domain_modules_touch_no_file_process_or_network() {
    let found = io_in_domain(&sources());
    assert!(found.is_empty(), "I/O in a domain module: {found:#?}");
}

#[test]
fn the_io_check_finds_io_in_every_domain_module() {
    for m in DOMAIN {
        let file = format!("{m}/x.rs");
        let files = planted(&[
            (&file, "fn f() { crate::fs::read_to_string(p) }\n"),
            ("engine/x.rs", "fn f() { std::fs::read(p) }\n"),
        ]);
        assert_eq!(io_in_domain(&files), vec![format!("{file}: crate::fs")]);
    }
    let files = planted(&[("suite/x.rs", "use crate::preprocess::Layout;\n")]);
    assert_eq!(io_in_domain(&files).len(), 1);
}

#[test]
fn the_layers_point_down() {
    let bad = layering_violations(&graph(&sources()));
    assert!(bad.is_empty(), "layering broken: {bad:?}");
}

#[test]
fn the_layer_check_finds_a_domain_module_importing_an_adapter() {
    for d in DOMAIN {
        for a in ADAPTERS {
            let file = format!("{d}/x.rs");
            let text = format!("use crate::{a}::Thing;\n");
            let files = planted(&[
                (&file, &text),
                (&format!("{a}/mod.rs"), "pub struct Thing;\n"),
            ]);
            assert_eq!(
                layering_violations(&graph(&files)),
                vec![format!("{d} -> {a}")]
            );
        }
    }
    // Adapters may use the domain.
    let files = planted(&[
        ("preprocess/mod.rs", "use crate::suite::Preprocess;\n"),
        ("suite/mod.rs", "pub struct Preprocess;\n"),
    ]);
    assert!(layering_violations(&graph(&files)).is_empty());
}

#[test]
fn the_backends_and_the_protocol_import_only_the_seam() {
    let bad = seam_violations(&file_graph(&sources()));
    assert!(bad.is_empty(), "past the backend seam: {bad:?}");
}

#[test]
fn the_seam_check_finds_a_backend_importing_another() {
    let files = planted(&[
        (
            "engine/mod.rs",
            "pub mod backend;\npub mod litert;\npub mod ort;\n",
        ),
        ("engine/backend.rs", "pub struct ProviderOutcome;\n"),
        ("engine/ort.rs", "use super::backend::ProviderOutcome;\n"),
        (
            "engine/litert/mod.rs",
            "mod ffi;\nuse ffi::X;\nuse crate::engine::ort::Y;\n",
        ),
        (
            "engine/litert/ffi.rs",
            "use crate::engine::backend::ProviderOutcome;\n",
        ),
    ]);
    assert_eq!(
        seam_violations(&file_graph(&files)),
        vec!["engine/litert/mod.rs -> engine/ort.rs"]
    );
}
