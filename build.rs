//! Embeds every file under `templates/` into the binary, so a lone `lgtmc` binary renders without
//! its source tree. Generates `TEMPLATES: &[(&str, &str)]` (name, source), sorted by name.
//!
//! minijinja-embed does the same but registers the templates with `.expect(..)`, turning a
//! template syntax error into a panic at run time; here the renderer adds them itself and reports
//! such an error as a diagnostic.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("templates");
    println!("cargo:rerun-if-changed={}", root.display());
    // A position-dependent executable: the dynamic loader has no relocations to apply to it
    // (25,000 in a PIE), which is a fifth of a check answered from its record (ARCHITECTURE.md,
    // Decisions). Linux with the GNU toolchain only, where `cc` takes the flag.
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut generated = String::from("pub(crate) static TEMPLATES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .strip_prefix(&root)
            .expect("collected under the root")
            .to_string_lossy()
            .replace('\\', "/");
        generated.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    generated.push_str("];\n");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("templates.rs");
    fs::write(out, generated).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
