//! ARCHITECTURE.md's promises about the code itself, read from the sources:
//! - the code map lists every module, and layers point strictly downward: a module uses only
//!   modules the code map lists below it (so there is no import cycle);
//! - no file has more than `MAX_CODE_LINES` lines of code, and an inline test module is the last
//!   thing in its file;
//! - YAML is behind one module, colour goes through `anstyle`;
//! - the modules that touch the filesystem are exactly the ones the invariant names.
//!
//! Function length (at most 80 lines) is clippy's `too_many_lines`, denied in Cargo.toml with the
//! threshold in clippy.toml.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_CODE_LINES: usize = 600;

/// One source file of the library: its top-level module and its text up to its inline test
/// module. Unit-test files (`tests.rs`, `<module>/tests/`) are test code, not part of the layers.
struct Source {
    path: PathBuf,
    module: String,
    text: String,
}

/// Where an inline `#[cfg(test)] mod tests { … }` starts, if the file has one.
fn inline_tests(text: &str) -> Option<usize> {
    text.find("#[cfg(test)]\nmod tests {")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sources() -> Vec<Source> {
    let src = repo().join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let first = relative.split('/').next().unwrap();
            let module = first.strip_suffix(".rs").unwrap_or(first).to_owned();
            let is_test = relative.ends_with("/tests.rs") || relative.contains("/tests/");
            let text = std::fs::read_to_string(&path).unwrap();
            (module != "lib" && module != "main" && !is_test).then_some(Source {
                path,
                module,
                text,
            })
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The code lines of a file: comments removed (line comments only; the code base has no block
/// comments), blank lines dropped, with their 1-based line numbers.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| {
            let trimmed = line.trim_start();
            !trimmed.is_empty() && !trimmed.starts_with("//")
        })
        .collect()
}

/// The top-level modules a file names through `crate::`, with the line of each first use.
fn dependencies(text: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for (number, line) in code_lines(text) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            for name in crate_path_heads(rest) {
                found.entry(name).or_insert(number);
            }
        }
    }
    found
}

/// `plan::X` → `plan`; `{plan, emit::Y}` → `plan`, `emit`.
fn crate_path_heads(rest: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && !c.is_whitespace() => {
                start = false;
                heads.push(ident(&group[i..]));
            }
            _ => {}
        }
    }
    heads
}

fn architecture() -> String {
    std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap()
}

/// The top-level modules of the code map, top to bottom.
fn code_map(architecture: &str) -> Vec<String> {
    let section = architecture
        .split("## Code map")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Code map` section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|cell| cell.split('`').next())
        .filter(|name| !name.contains('/') && !name.contains('.'))
        .map(str::to_owned)
        .collect()
}

fn declared_modules() -> BTreeSet<String> {
    std::fs::read_to_string(repo().join("src/lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

#[test]
fn the_code_map_lists_every_module_once() {
    let map = code_map(&architecture());
    let listed: BTreeSet<String> = map.iter().cloned().collect();
    assert_eq!(listed.len(), map.len(), "a module is listed twice: {map:?}");
    let declared = declared_modules();
    let missing: Vec<_> = declared.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&declared).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "ARCHITECTURE.md's code map must list exactly src/lib.rs's modules: \
         missing {missing:?}, not a module {stale:?}"
    );
}

#[test]
fn layers_point_strictly_downward() {
    let map = code_map(&architecture());
    let rank: BTreeMap<&str, usize> = map
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut upward = Vec::new();
    for source in sources() {
        let Some(&own) = rank.get(source.module.as_str()) else {
            continue; // the code-map test names it
        };
        let code = &source.text[..inline_tests(&source.text).unwrap_or(source.text.len())];
        for (dependency, line) in dependencies(code) {
            if dependency == source.module {
                continue;
            }
            match rank.get(dependency.as_str()) {
                Some(&theirs) if theirs > own => {}
                _ => upward.push(format!(
                    "{}:{line}: `{}` uses `{dependency}`, which the code map does not list below it",
                    source.path.display(),
                    source.module
                )),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "layers must point downward (ARCHITECTURE.md, code map order):\n{}",
        upward.join("\n")
    );
}

#[test]
fn files_stay_small_and_tests_come_last() {
    let mut problems = Vec::new();
    for source in sources() {
        let lines: Vec<&str> = source.text.lines().collect();
        // The inline test module, if any, starts at `#[cfg(test)]` before `mod tests {` and must
        // end the file: its closing brace is the first unindented `}` after it.
        let test_start = lines.windows(2).position(|pair| {
            pair[0].trim() == "#[cfg(test)]" && pair[1].starts_with("mod tests {")
        });
        let code_end = test_start.unwrap_or(lines.len());
        if let Some(start) = test_start {
            let close = lines[start..]
                .iter()
                .position(|line| *line == "}")
                .map(|i| start + i);
            let after = close.map_or(0, |close| {
                lines[close + 1..]
                    .iter()
                    .filter(|line| !line.trim().is_empty())
                    .count()
            });
            if after > 0 {
                problems.push(format!(
                    "{}: code after the test module (line {})",
                    source.path.display(),
                    start + 1
                ));
            }
        }
        let code = code_lines(&lines[..code_end].join("\n")).len();
        if code > MAX_CODE_LINES {
            problems.push(format!(
                "{}: {code} lines of code (at most {MAX_CODE_LINES}); split it by responsibility",
                source.path.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn yaml_is_behind_one_module_and_colour_behind_anstyle() {
    let mut problems = Vec::new();
    for source in sources() {
        let code = &source.text[..inline_tests(&source.text).unwrap_or(source.text.len())];
        for (number, line) in code_lines(code) {
            if source.module != "yaml"
                && (line.contains("serde_norway") || line.contains("saphyr_parser"))
            {
                problems.push(format!(
                    "{}:{number}: a YAML library outside `yaml`",
                    source.path.display()
                ));
            }
            if line.contains("\\x1b[") || line.contains("\\u{1b}[") {
                problems.push(format!(
                    "{}:{number}: a hand-written ANSI escape (use anstyle)",
                    source.path.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Calls that read or write the filesystem (or start a process that does).
const FILESYSTEM: &[&str] = &[
    "std::fs",
    "fs::",
    "File::open",
    "File::create",
    "OpenOptions",
    "walkdir",
    "tempfile",
    "Command::new",
    ".exists()",
    ".is_file()",
    ".is_dir()",
    "canonicalize",
    "read_dir",
    "rustix::fs",
];

#[test]
fn the_modules_that_touch_the_filesystem_are_the_documented_ones() {
    let architecture = architecture();
    let paragraph = architecture
        .split("- **Only these modules touch the filesystem**")
        .nth(1)
        .expect("ARCHITECTURE.md states which modules touch the filesystem")
        .split("\n- ")
        .next()
        .unwrap();
    let modules = declared_modules();
    let documented: BTreeSet<String> = paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| modules.contains(*name))
        .map(str::to_owned)
        .collect();
    let mut touching: BTreeMap<String, String> = BTreeMap::new();
    for source in sources() {
        let code_end = inline_tests(&source.text).unwrap_or(source.text.len());
        for (number, line) in code_lines(&source.text[..code_end]) {
            if let Some(call) = FILESYSTEM.iter().find(|call| line.contains(*call)) {
                touching
                    .entry(source.module.clone())
                    .or_insert_with(|| format!("{}:{number} ({call})", source.path.display()));
            }
        }
    }
    let undocumented: Vec<&String> = touching
        .iter()
        .filter(|(m, _)| !documented.contains(*m))
        .map(|(_, at)| at)
        .collect();
    let pure: Vec<&String> = documented
        .iter()
        .filter(|m| !touching.contains_key(*m))
        .collect();
    assert!(
        undocumented.is_empty() && pure.is_empty(),
        "ARCHITECTURE.md's filesystem invariant must name exactly the modules that touch it:\n\
         not named: {undocumented:#?}\nnamed but pure: {pure:?}"
    );
}

#[test]
fn crate_paths_are_read_like_rust() {
    assert_eq!(crate_path_heads("plan::X"), ["plan"]);
    assert_eq!(
        crate_path_heads("{plan, emit::{A, B}, yaml}"),
        ["plan", "emit", "yaml"]
    );
    let found = dependencies("use crate::a::B;\n// crate::commented\nlet x = crate::c::d();");
    assert_eq!(found.keys().collect::<Vec<_>>(), ["a", "c"]);
}

#[test]
fn the_files_architecture_names_exist() {
    let architecture = architecture();
    let roots = [
        "src/",
        "tests/",
        "templates/",
        "docs/",
        "benches/",
        ".ci/",
        ".github/",
    ];
    let missing: Vec<&str> = architecture
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|token| roots.iter().any(|root| token.starts_with(root)))
        .filter(|token| !token.contains('<') && !token.contains('*') && !token.contains(' '))
        .filter(|token| !repo().join(token).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}
