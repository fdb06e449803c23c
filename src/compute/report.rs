//! The plain-text compute section of `lgtmc plan`: per component, per node, and the verdict.

use std::fmt::Write as _;

use super::ComputePlan;

/// Aligned tables: components, then nodes, then what does not fit and what is not counted.
pub fn text(plan: &ComputePlan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "  compute: {}", plan.summary());
    let mut rows: Vec<[String; 4]> = vec![[
        "component".into(),
        "pods".into(),
        "cpu".into(),
        "memory".into(),
    ]];
    for component in &plan.components {
        rows.push([
            component.component.to_owned(),
            component.pods.to_string(),
            cpu(component.total.cpu_millis),
            crate::units::format_bytes(component.total.memory_bytes),
        ]);
    }
    rows.push([
        "total".into(),
        plan.components
            .iter()
            .map(|c| c.pods)
            .sum::<u64>()
            .to_string(),
        cpu(plan.requests.cpu_millis),
        crate::units::format_bytes(plan.requests.memory_bytes),
    ]);
    crate::units::aligned_table(&mut out, &rows, 1);
    if let Some(nodes) = &plan.nodes {
        let _ = writeln!(
            out,
            "  nodes: {} × ({} − reserve {} = allocatable {})",
            nodes.count,
            nodes.capacity.text(),
            nodes.reserve.text(),
            nodes.allocatable.text()
        );
        let mut rows: Vec<[String; 4]> =
            vec![["node".into(), "pods".into(), "cpu".into(), "memory".into()]];
        for node in &plan.per_node {
            rows.push([
                format!(
                    "node {}{}",
                    node.node,
                    if node.fits { "" } else { " (over)" }
                ),
                node.pods.to_string(),
                format!("{} ({})", cpu(node.requests.cpu_millis), node.cpu_share),
                format!(
                    "{} ({})",
                    crate::units::format_bytes(node.requests.memory_bytes),
                    node.memory_share
                ),
            ]);
        }
        crate::units::aligned_table(&mut out, &rows, 1);
    }
    for problem in &plan.unplaceable {
        let _ = writeln!(out, "  cannot place: {problem}");
    }
    for item in &plan.not_counted {
        let _ = writeln!(out, "  not counted: {item}");
    }
    out
}

/// Millicores as CPUs with up to three decimals: `9.71`, `0.05`, `3`.
pub fn cpu(millis: u64) -> String {
    let text = format!("{}.{:03}", millis / 1_000, millis % 1_000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
