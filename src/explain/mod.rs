//! `lgtmc explain`: why a rendered value is what it is.
//!
//! Differential provenance: the spec is compiled once; then, for every leaf of the spec (a KDL
//! entry or a chart version, `probe`), once more with that leaf changed to another valid value.
//! Every rendered value (`values`) that changes in a probe depends on the probed leaf; a value
//! that disappears lives under a key or in a file the leaf names (a tenant's name). So the
//! sources of a value are exactly the leaves whose change changes it, whatever the plan and the
//! templates did on the way, and the other values the same probe changed are "derived from the
//! same spec value". No template or plan function carries origins for this.
//!
//! `Provenance::compute` runs every probe once and indexes the effects by file and value path;
//! `Provenance::explain` then answers any number of questions from the index. What it cannot
//! prove, it does not say: a leaf no probe could change (every candidate was invalid) is listed
//! as not probed, and a value no probe changed is lgtmc's own, named by the template that wrote
//! its file.

mod output;
mod probe;
mod select;
pub mod values;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use minijinja::Environment;
use similar::{DiffTag, TextDiff};

use crate::compiler;
use crate::diagnostic::{SourceFile, did_you_mean};
use crate::error::Error;
use crate::load::LoadedSpec;
use crate::model;
use crate::render;

pub use output::{Derived, Explanation, Source, ValueExplanation, json, text};
use probe::Leaf;
use select::{select_line, select_path};
use values::Values;

/// What a probe did to one rendered value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    /// The value changed: the leaf is one of its sources.
    Changed,
    /// The value's key or file disappeared: the leaf names where it lives.
    Moved,
}

/// Every probe's effect on the rendered tree, computed once.
#[derive(Debug)]
pub struct Provenance {
    /// The output directory, relative to the spec (`gitops out`).
    out: String,
    files: Vec<SourceFile>,
    leaves: Vec<Leaf>,
    /// For each leaf, the value it was probed with, or `None` when no candidate validated.
    probes: Vec<Option<String>>,
    /// The leaves that name each file's path (an environment, a tenant's dashboards folder).
    file_named_by: BTreeMap<String, Vec<usize>>,
    /// For each leaf probed in a group, the other leaves of its group.
    together: Vec<Vec<usize>>,
    rendered: crate::emit::RenderedTree,
    templates: BTreeMap<String, String>,
    values: BTreeMap<String, Values>,
    /// (file, value path) → the leaves that affect it.
    effects: HashMap<(String, String), Vec<(usize, Effect)>>,
    /// For each leaf, the values it changed, by file (lines for a text file such as
    /// `CAPACITY.md`).
    changed: Vec<BTreeMap<String, Changed>>,
    loaded: LoadedSpec,
    env: Environment<'static>,
    /// How long the compilations took, and how many there were.
    pub elapsed: Duration,
    pub compilations: usize,
}

#[derive(Clone, Debug, Default)]
struct Changed {
    paths: Vec<String>,
    lines: Vec<usize>,
}

/// What is asked about a file: a value path, or every value on a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Path(String),
    Line(usize),
}

impl Provenance {
    /// Compiles the spec in `spec_dir`, then every probe, and indexes what each probe changed.
    pub fn compute(spec_dir: &Path, templates_dir: Option<&Path>) -> Result<Provenance, Error> {
        let mut provenance = Provenance::baseline(spec_dir, templates_dir)?;
        provenance.probe();
        Ok(provenance)
    }

    /// The output directory the explained files live in, relative to the spec (`gitops out`).
    pub fn out_dir(&self) -> &str {
        &self.out
    }

    /// Compiles the spec once, without probes: enough to check a question (the file, the path,
    /// the line) before paying for the probes.
    pub fn baseline(spec_dir: &Path, templates_dir: Option<&Path>) -> Result<Provenance, Error> {
        let started = Instant::now();
        let loaded = compiler::load_spec(spec_dir)?;
        let env = render::environment(templates_dir)?;
        let (baseline, out) = compiler::render_loaded(&loaded, &env)?;
        let values: BTreeMap<String, Values> = baseline
            .files
            .iter()
            .filter_map(|(path, text)| Some((path.clone(), values::read(path, text)?)))
            .collect();
        let leaves = probe::leaves(&loaded);
        Ok(Provenance {
            out,
            files: loaded.files.clone(),
            probes: vec![None; leaves.len()],
            together: vec![Vec::new(); leaves.len()],
            changed: vec![BTreeMap::new(); leaves.len()],
            rendered: baseline.files,
            templates: baseline.templates,
            values,
            effects: HashMap::new(),
            file_named_by: BTreeMap::new(),
            leaves,
            loaded,
            env,
            elapsed: started.elapsed(),
            compilations: 1,
        })
    }

    /// Runs every probe, on as many threads as the machine has cores, and indexes the effects
    /// (afresh, if it ran before).
    pub fn probe(&mut self) {
        let started = Instant::now();
        self.effects.clear();
        self.file_named_by.clear();
        self.probes.fill(None);
        self.together.fill(Vec::new());
        self.changed.fill(BTreeMap::new());
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let indexes: Vec<usize> = (0..self.leaves.len()).collect();
        // One chunk at a time, so no more than `threads` rendered trees are held at once.
        for chunk in indexes.chunks(threads) {
            let results: Vec<(usize, Probe)> = std::thread::scope(|scope| {
                let handles: Vec<_> = chunk
                    .iter()
                    .map(|index| {
                        let leaf = &self.leaves[*index];
                        let (loaded, env) = (&self.loaded, &self.env);
                        scope.spawn(move || (*index, run_probe(loaded, env, leaf)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| {
                        handle
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            });
            for (index, probe) in results {
                self.compilations += probe.compilations;
                if let Some((value, files)) = probe.result {
                    self.probes[index] = Some(value);
                    self.changed[index] = self.compare(index, &files);
                }
            }
        }
        self.probe_groups();
        self.elapsed += started.elapsed();
    }

    /// Probes together the leaves that could not be probed alone and hold the same text: a name
    /// and the references to it must change as one.
    fn probe_groups(&mut self) {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, leaf) in self.leaves.iter().enumerate() {
            if self.probes[index].is_none() {
                groups.entry(leaf.value.clone()).or_default().push(index);
            }
        }
        for (value, members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
            let group: Vec<&Leaf> = members.iter().map(|index| &self.leaves[*index]).collect();
            let candidate = kdl::KdlValue::String(format!("{value}x"));
            let Some(spec) = probe::perturb_together(&self.loaded, &group, &candidate) else {
                continue;
            };
            self.compilations += 1;
            let Ok((rendered, _)) = compiler::render_loaded(&spec, &self.env) else {
                continue;
            };
            for index in &members {
                self.probes[*index] = Some(format!("{value}x"));
                self.changed[*index] = self.compare(*index, &rendered.files);
                self.together[*index] = members.iter().copied().filter(|m| m != index).collect();
            }
        }
    }

    /// Records what the probe of leaf `index` changed, against the baseline. A probe that renames
    /// (a tenant `agents` → `agentsx`) moves files and keys: a file or value missing from the
    /// probe is looked for under the renamed path, so `uid: metrics-agents` in
    /// `dashboards/agents.overview.json` is compared with `metrics-agentsx` in
    /// `dashboards/agentsx.overview.json` (changed), and a value under the renamed key that kept
    /// its text is moved, not changed.
    fn compare(
        &mut self,
        index: usize,
        probe: &crate::emit::RenderedTree,
    ) -> BTreeMap<String, Changed> {
        let rename = self.rename(index);
        let rename = rename.as_ref();
        let mut changed: BTreeMap<String, Changed> = BTreeMap::new();
        for (path, text) in &self.rendered {
            let other = probe.get(path).or_else(|| {
                let moved = renamed(path, rename).find_map(|p| probe.get(&p))?;
                self.file_named_by
                    .entry(path.clone())
                    .or_default()
                    .push(index);
                Some(moved)
            });
            if other == Some(text) {
                continue;
            }
            let Some(values) = self.values.get(path) else {
                let lines = other.map_or_else(
                    || (1..=text.lines().count()).collect(),
                    |other| changed_lines(text, other),
                );
                if !lines.is_empty() {
                    changed.entry(path.clone()).or_default().lines = lines;
                }
                continue;
            };
            let probed: HashMap<String, String> = other
                .and_then(|other| values::read(path, other))
                .map(|read| read.values.into_iter().map(|v| (v.path, v.text)).collect())
                .unwrap_or_default();
            for value in &values.values {
                let (found, moved) = match probed.get(&value.path) {
                    Some(text) => (Some(text), false),
                    None => (
                        renamed(&value.path, rename).find_map(|p| probed.get(&p)),
                        true,
                    ),
                };
                let effect = match found {
                    Some(text) if *text != value.text => Effect::Changed,
                    Some(_) if !moved => continue,
                    _ => Effect::Moved,
                };
                if effect == Effect::Changed {
                    changed
                        .entry(path.clone())
                        .or_default()
                        .paths
                        .push(value.path.clone());
                }
                self.effects
                    .entry((path.clone(), value.path.clone()))
                    .or_default()
                    .push((index, effect));
            }
        }
        changed
    }

    /// The text a name probe replaced and its replacement: only for a probe that appended to a
    /// text (`agents` → `agentsx`), whose old text cannot be confused with an index or a number.
    fn rename(&self, index: usize) -> Option<(String, String)> {
        let old = &self.leaves[index].value;
        let new = self.probes[index].as_ref()?;
        let appended = new.strip_prefix(old.as_str())? == "x";
        let named = old.chars().any(|c| c.is_ascii_alphabetic());
        (appended && named).then(|| (old.clone(), new.clone()))
    }

    /// The rendered files (paths under `out/`), for resolving and suggesting file names.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.rendered.keys().map(String::as_str)
    }

    /// The rendered text of a file (path under `out/`).
    pub fn rendered(&self, path: &str) -> Option<&str> {
        self.rendered.get(path).map(|text| &**text)
    }

    /// The values of a file that explain can address (YAML, JSON, Alloy).
    pub fn values(&self, path: &str) -> Option<&Values> {
        self.values.get(path)
    }

    /// Every probed leaf and every leaf no candidate could vary, as `(file:line:col written,
    /// probed value)`.
    pub fn probe_summary(&self) -> Vec<(String, Option<String>)> {
        self.leaves
            .iter()
            .zip(&self.probes)
            .map(|(leaf, probe)| {
                let name = &self.files[leaf.file].name;
                (
                    format!("{name}:{}:{} {}", leaf.line, leaf.column, leaf.written),
                    probe.clone(),
                )
            })
            .collect()
    }

    /// Explains the values a target selects in a rendered file (a path under `out/`).
    pub fn explain(&self, file: &str, target: &Target) -> Result<Explanation, Error> {
        let Some(values) = self.values.get(file) else {
            return Err(self.unknown_file(file));
        };
        let selected = match target {
            Target::Path(path) => select_path(file, values, path)?,
            Target::Line(line) => select_line(file, values, *line)?,
        };
        let template = self.templates.get(file).cloned().unwrap_or_default();
        Ok(Explanation {
            file: format!("out/{file}"),
            template,
            file_named_by: self
                .file_named_by
                .get(file)
                .into_iter()
                .flatten()
                .map(|leaf| self.source(*leaf, None))
                .collect(),
            values: selected
                .into_iter()
                .map(|value| self.explain_value(file, value))
                .collect(),
        })
    }

    fn unknown_file(&self, file: &str) -> Error {
        if self.rendered.contains_key(file) {
            return Error::Usage {
                message: format!("`out/{file}` is not YAML, JSON or Alloy: explain has no values to address in it"),
                help: Some("explain a value of a YAML, JSON or Alloy file; the files a spec value also changes in Markdown or SVG are listed as derived".to_owned()),
            };
        }
        let rendered: Vec<String> = self.rendered.keys().map(|f| format!("out/{f}")).collect();
        let suggestion = did_you_mean(&format!("out/{file}"), rendered.iter().map(String::as_str));
        Error::Usage {
            message: format!("lgtmc renders no `out/{file}`"),
            help: Some(suggestion.unwrap_or_else(|| {
                "name a file under out/, as `out/<env>/<component>/values.yaml`".to_owned()
            })),
        }
    }

    fn explain_value(&self, file: &str, value: &values::Value) -> ValueExplanation {
        let effects = self
            .effects
            .get(&(file.to_owned(), value.path.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let of = |wanted: Effect| -> Vec<usize> {
            effects
                .iter()
                .filter(|(_, effect)| *effect == wanted)
                .map(|(leaf, _)| *leaf)
                .collect()
        };
        let sources_at = of(Effect::Changed);
        let moved: Vec<usize> = of(Effect::Moved)
            .into_iter()
            .filter(|leaf| !sources_at.contains(leaf))
            .collect();
        let sources: Vec<Source> = sources_at
            .iter()
            .map(|leaf| self.source(*leaf, Some(&value.text)))
            .collect();
        let placed_by = moved.iter().map(|leaf| self.source(*leaf, None)).collect();
        let not_probed = if sources.is_empty() {
            self.probes
                .iter()
                .enumerate()
                .filter(|(_, probe)| probe.is_none())
                .map(|(leaf, _)| self.source(leaf, None))
                .collect()
        } else {
            Vec::new()
        };
        ValueExplanation {
            path: value.path.clone(),
            value: value.text.clone(),
            line: value.line,
            column: value.column,
            lgtmc_own: sources.is_empty(),
            sources,
            placed_by,
            not_probed,
            derived: self.derived(file, &value.path, &sources_at),
        }
    }

    fn source(&self, index: usize, rendered: Option<&str>) -> Source {
        let leaf = &self.leaves[index];
        let file = &self.files[leaf.file];
        let source_line = file
            .text
            .lines()
            .nth(leaf.line - 1)
            .unwrap_or_default()
            .to_owned();
        Source {
            file: file.name.clone(),
            line: leaf.line,
            column: leaf.column,
            written: leaf.written.clone(),
            setting: leaf.setting.clone(),
            value: leaf.value.clone(),
            source_line,
            rule: rendered.map_or_else(String::new, |rendered| rule(&leaf.value, rendered)),
            overrides: self.overridden(leaf),
            together_with: self.together[index]
                .iter()
                .map(|other| self.located(*other))
                .collect(),
        }
    }

    /// `file:line:column written` of a leaf.
    fn located(&self, index: usize) -> String {
        let leaf = &self.leaves[index];
        format!(
            "{}:{}:{} {}",
            self.files[leaf.file].name, leaf.line, leaf.column, leaf.written
        )
    }

    /// For a leaf of an overlay, the `platform.kdl` leaf at the same place in the merged spec.
    fn overridden(&self, leaf: &Leaf) -> Option<String> {
        if leaf.file == 0 {
            return None;
        }
        let pointer = leaf.pointer.as_deref()?;
        let base = self
            .leaves
            .iter()
            .find(|other| other.file == 0 && other.pointer.as_deref() == Some(pointer))?;
        Some(format!(
            "{}:{}:{} {}",
            self.files[0].name, base.line, base.column, base.written
        ))
    }

    /// The other values the sources changed, by file.
    fn derived(&self, file: &str, path: &str, sources: &[usize]) -> Vec<Derived> {
        let mut by_file: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<usize>)> = BTreeMap::new();
        for leaf in sources {
            for (other, changed) in &self.changed[*leaf] {
                let entry = by_file.entry(other.as_str()).or_default();
                for other_path in &changed.paths {
                    if !(other == file && other_path == path) {
                        entry.0.insert(other_path.as_str());
                    }
                }
                entry.1.extend(changed.lines.iter().copied());
            }
        }
        by_file
            .into_iter()
            .filter(|(_, (paths, lines))| !paths.is_empty() || !lines.is_empty())
            .map(|(other, (paths, lines))| Derived {
                file: format!("out/{other}"),
                paths: paths.into_iter().map(str::to_owned).collect(),
                lines: lines.into_iter().collect(),
            })
            .collect()
    }
}

/// What probing one leaf found: the value it was probed with and the tree that rendered, or
/// nothing when no candidate validated.
struct Probe {
    compilations: usize,
    result: Option<(String, crate::emit::RenderedTree)>,
}

/// Tries the leaf's candidates in order; the first the spec accepts is the probe.
fn run_probe(loaded: &LoadedSpec, env: &Environment<'static>, leaf: &Leaf) -> Probe {
    let mut compilations = 0;
    for candidate in probe::candidates(leaf, loaded) {
        let Some(spec) = probe::perturb(loaded, leaf, &candidate) else {
            continue;
        };
        compilations += 1;
        // A candidate the spec rejects says nothing; the next one is tried.
        if let Ok((rendered, _)) = compiler::render_loaded(&spec, env) {
            let value = match candidate {
                kdl::KdlValue::String(text) => text,
                other => other.to_string(),
            };
            return Probe {
                compilations,
                result: Some((value, rendered.files)),
            };
        }
    }
    Probe {
        compilations,
        result: None,
    }
}

/// Where a path may be after a rename: every occurrence replaced, then each one alone (the
/// tenant `dev` is in `dev/…/dashboards/dev.…`, but only the second is its name).
fn renamed<'a>(
    path: &'a str,
    rename: Option<&'a (String, String)>,
) -> impl Iterator<Item = String> + 'a {
    let (old, new) = match rename {
        Some((old, new)) if path.contains(old.as_str()) => (old.as_str(), new.as_str()),
        _ => ("", ""),
    };
    let all = (!old.is_empty()).then(|| path.replace(old, new));
    let each = path
        .match_indices(old)
        .filter(move |_| !old.is_empty())
        .map(move |(at, _)| format!("{}{new}{}", &path[..at], &path[at + old.len()..]));
    all.into_iter().chain(each)
}

/// The 1-based lines of `old` that `new` deletes or replaces.
fn changed_lines(old: &str, new: &str) -> Vec<usize> {
    TextDiff::from_lines(old, new)
        .ops()
        .iter()
        .filter(|op| matches!(op.tag(), DiffTag::Delete | DiffTag::Replace))
        .flat_map(|op| op.old_range().map(|line| line + 1))
        .collect()
}

/// How the rendered value follows from a spec value, as far as the two texts show it, with the
/// plan's rule named where lgtmc has one (plan/mod.rs, plan/backends.rs).
fn rule(spec: &str, rendered: &str) -> String {
    if spec == rendered {
        return "as written".to_owned();
    }
    let seconds = model::Duration::parse(spec).map(|duration| duration.seconds());
    if let Some(seconds) = seconds {
        if seconds % 3600 == 0 && rendered == format!("{}h", seconds / 3600) {
            return format!(
                "{spec} → {rendered}: a duration in whole hours, which every duration parser of Loki, Tempo and Pyroscope reads"
            );
        }
        if rendered == seconds.to_string() || rendered == format!("{seconds}s") {
            return format!("{spec} → {rendered}: the duration in seconds");
        }
    }
    if let (Ok(number), Ok(out)) = (spec.parse::<u64>(), rendered.parse::<u64>()) {
        if number.checked_mul(1_048_576) == Some(out) {
            return format!("{spec} → {rendered}: MiB in bytes (× 1,048,576)");
        }
        if number.checked_mul(10) == Some(out) {
            return format!(
                "{spec} → {rendered}: ten seconds' worth of the rate, Mimir's own ratio for a burst the spec does not set"
            );
        }
    }
    if rendered.contains(spec) {
        return format!("part of a longer value: `{spec}` appears in it");
    }
    format!("{spec} → {rendered}: computed from it (with any other sources listed)")
}

/// Splits `FILE:LINE` (as editors and review comments point) into the file and the line.
pub fn split_line(argument: &str) -> Option<(&str, usize)> {
    let (file, line) = argument.rsplit_once(':')?;
    let line: usize = line.parse().ok()?;
    (line > 0 && !file.is_empty()).then_some((file, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_named_from_the_two_values() {
        assert_eq!(rule("3", "3"), "as written");
        assert!(rule("14d", "336h").starts_with("14d → 336h: a duration in whole hours"));
        assert!(rule("90d", "7776000").starts_with("90d → 7776000: the duration in seconds"));
        assert!(rule("15", "15728640").starts_with("15 → 15728640: MiB in bytes"));
        assert!(rule("50000", "500000").starts_with("50000 → 500000: ten seconds' worth"));
        assert!(rule("mimir", "mimir-blocks").starts_with("part of a longer value"));
        assert!(rule("7", "9").starts_with("7 → 9: computed from it"));
    }

    #[test]
    fn file_and_line_split_at_the_last_colon() {
        assert_eq!(split_line("out/a.yaml:12"), Some(("out/a.yaml", 12)));
        assert_eq!(split_line("c:/out/a.yaml:3"), Some(("c:/out/a.yaml", 3)));
        assert_eq!(split_line("out/a.yaml"), None);
        assert_eq!(split_line("out/a.yaml:0"), None);
        assert_eq!(split_line(":4"), None);
    }
}
