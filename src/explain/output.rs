//! The answer of `lgtmc explain`: its types, printed as text for a terminal or as JSON for tools.

use serde::Serialize;

/// The answer, as printed (`text`) or serialised (`--format json`).
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The file, as `out/<path>`.
    pub file: String,
    /// The template that wrote the file.
    pub template: String,
    /// The spec values the file's path comes from (an environment's name, a tenant's).
    pub file_named_by: Vec<Source>,
    pub values: Vec<ValueExplanation>,
}

#[derive(Debug, Serialize)]
pub struct ValueExplanation {
    pub path: String,
    pub value: String,
    pub line: usize,
    pub column: usize,
    /// The spec values whose change changes this value.
    pub sources: Vec<Source>,
    /// The spec values that name the key or file this value is under (a tenant's name).
    pub placed_by: Vec<Source>,
    /// No spec value changes it: lgtmc chose it, in the file's template or the plan.
    pub lgtmc_own: bool,
    /// Spec values no probe could vary (every other value of their type was invalid): they may
    /// also decide this value.
    pub not_probed: Vec<Source>,
    /// The other rendered values the sources changed, by file.
    pub derived: Vec<Derived>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Source {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The entry as written.
    pub written: String,
    /// Where it lands in the merged spec (`tenant.agents.retention`).
    pub setting: String,
    /// The spec value, unquoted.
    pub value: String,
    /// The whole source line.
    pub source_line: String,
    /// How the rendered value follows from it (`14d → 336h: …`); empty for `placed_by`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rule: String,
    /// Spec values that had to change with this one to stay valid (a tenant's name and the
    /// `tenancy default=` naming it), as `file:line:column written`: the probe cannot tell them
    /// apart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub together_with: Vec<String>,
    /// What this overlay value overrides in `platform.kdl`, as `file:line:column written`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Derived {
    /// As `out/<path>`.
    pub file: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<usize>,
}

/// How many paths of one derived file the text output lists before it counts the rest.
const DERIVED_PATHS_SHOWN: usize = 4;

/// The explanation as text, for a terminal.
pub fn text(explanation: &Explanation) -> String {
    let mut out = String::new();
    if !explanation.file_named_by.is_empty() {
        out.push_str(&format!(
            "{}: its path comes from {}\n\n",
            explanation.file,
            located(&explanation.file_named_by)
        ));
    }
    for (index, value) in explanation.values.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        value_text(&mut out, explanation, value);
    }
    out
}

/// Sources as `file:line:column written`, comma-separated.
fn located(sources: &[Source]) -> String {
    let names: Vec<String> = sources
        .iter()
        .map(|s| format!("{}:{}:{} {}", s.file, s.line, s.column, s.written))
        .collect();
    names.join(", ")
}

/// One value: where it is, its sources, what places it, whether it is lgtmc's own, and what
/// else its sources derive.
fn value_text(out: &mut String, explanation: &Explanation, value: &ValueExplanation) {
    out.push_str(&format!(
        "{}:{}:{}  {}\n  value: {}\n",
        explanation.file,
        value.line,
        value.column,
        value.path,
        one_line(&value.value)
    ));
    for source in &value.sources {
        out.push_str(&format!(
            "  from {}:{}:{}  {}  ({})\n",
            source.file, source.line, source.column, source.written, source.setting
        ));
        out.push_str(&format!(
            "    {:>4} | {}\n",
            source.line,
            source.source_line.trim_end()
        ));
        out.push_str(&format!("    rule: {}\n", source.rule));
        if let Some(overrides) = &source.overrides {
            out.push_str(&format!("    overrides {overrides}\n"));
        }
        together_with(out, source);
    }
    for source in &value.placed_by {
        out.push_str(&format!(
            "  under a key or in a file named by {}:{}:{}  {}  ({})\n",
            source.file, source.line, source.column, source.written, source.setting
        ));
        together_with(out, source);
    }
    if value.lgtmc_own {
        out.push_str(&format!(
            "  lgtmc's own: no spec value changes it; written by template `{}` (a default of the template or the plan)\n",
            explanation.template
        ));
        if !value.not_probed.is_empty() {
            out.push_str(&format!(
                "  not probed (no other valid value to try), so not ruled out: {}\n",
                located(&value.not_probed)
            ));
        }
    }
    if !value.derived.is_empty() {
        out.push_str("  also derived from the same spec value:\n");
        for derived in &value.derived {
            derived_text(out, derived);
        }
    }
}

fn together_with(out: &mut String, source: &Source) {
    if !source.together_with.is_empty() {
        out.push_str(&format!(
            "    changed together with {} (they must agree)\n",
            source.together_with.join(", ")
        ));
    }
}

/// One file of derived values: the first `DERIVED_PATHS_SHOWN` paths, a count of the rest, and
/// the lines.
fn derived_text(out: &mut String, derived: &Derived) {
    out.push_str(&format!("    {}", derived.file));
    if !derived.paths.is_empty() {
        let shown: Vec<&str> = derived
            .paths
            .iter()
            .take(DERIVED_PATHS_SHOWN)
            .map(String::as_str)
            .collect();
        out.push_str(&format!("  {}", shown.join(", ")));
        let more = derived.paths.len().saturating_sub(DERIVED_PATHS_SHOWN);
        if more > 0 {
            out.push_str(&format!(" and {more} more"));
        }
    }
    if !derived.lines.is_empty() {
        let lines: Vec<String> = derived.lines.iter().map(usize::to_string).collect();
        out.push_str(&format!("  line {}", lines.join(", ")));
    }
    out.push('\n');
}

/// A multi-line value (a block scalar) on one line, escaped as JSON.
fn one_line(value: &str) -> String {
    if value.contains('\n') {
        serde_json::Value::String(value.to_owned()).to_string()
    } else {
        value.to_owned()
    }
}

/// The explanation as JSON, for tools.
pub fn json(explanation: &Explanation) -> String {
    let mut text = serde_json::to_string_pretty(explanation).unwrap_or_default();
    text.push('\n');
    text
}
