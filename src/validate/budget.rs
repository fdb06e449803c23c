//! The environments over their capacity budget or their nodes: one problem each (environments
//! that inherit the same numbers from the same line share one), and whether it is enforced.

use super::EnvironmentSpec;
use crate::capacity::CapacityPlan;
use crate::diagnostic::{Problem, SourceFile};
use crate::document::Origin;

/// The environments over their capacity budget, each problem pointing at the raw capacity that
/// sets the budget, and whether the budget is enforced. Environments that inherit the same
/// numbers from the same line share one problem.
pub(super) fn budget_problems(
    environments: &[EnvironmentSpec],
    over: &[(usize, Origin)],
    files: &[SourceFile],
) -> Vec<(Problem, bool)> {
    let mut groups: Vec<(Origin, &CapacityPlan, Vec<&str>)> = Vec::new();
    for (index, origin) in over {
        let plan = &environments[*index].capacity;
        let same = |(o, p, _): &&mut (Origin, &CapacityPlan, Vec<&str>)| {
            *o == *origin
                && p.size.raw_bytes == plan.size.raw_bytes
                && p.enforce == plan.enforce
                && p.budget.as_ref().map(|b| b.budget_bytes)
                    == plan.budget.as_ref().map(|b| b.budget_bytes)
        };
        match groups.iter_mut().find(|group| same(group)) {
            Some(group) => group.2.push(&plan.environment),
            None => groups.push((*origin, plan, vec![plan.environment.as_str()])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(origin, plan, names)| {
            let budget = plan.budget.as_ref()?;
            let (who, command) = match names.as_slice() {
                [one] => (
                    format!("environment `{one}` needs"),
                    format!("lgtmc plan --env {one}"),
                ),
                [rest @ .., last] => (
                    format!(
                        "environments {} and `{last}` each need",
                        rest.iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "lgtmc plan".to_owned(),
                ),
                [] => return None,
            };
            let mut help = format!(
                "`{command}` shows what each tenant stores: shorten a retention, lower a limit or a `utilisation`, or raise `raw`"
            );
            if !plan.enforce {
                help.push_str("; `enforce=#true` makes this an error");
            }
            let problem = Problem::new(
                &files[origin.file],
                origin.span,
                format!(
                    "{who} {} of raw Ceph storage, {} over the budget of {}",
                    plan.size.raw, budget.over, budget.budget
                ),
                format!(
                    "{} × max fill {} = {}",
                    budget.raw_capacity, budget.max_fill_text, budget.budget
                ),
            )
            .with_help(help);
            Some((problem, plan.enforce))
        })
        .collect()
}

/// The environments whose requests do not fit their nodes, each problem pointing at the nodes,
/// and whether the fit is enforced.
pub(super) fn compute_fit_problems(
    environments: &[EnvironmentSpec],
    unfit: &[(usize, Origin)],
    files: &[SourceFile],
) -> Vec<(Problem, bool)> {
    unfit
        .iter()
        .filter_map(|(index, origin)| {
            let plan = &environments[*index].compute;
            let nodes = plan.nodes.as_ref()?;
            let mut why: Vec<String> = plan.unplaceable.clone();
            if let Some(headroom) = plan.headroom_text.as_ref().filter(|h| h.contains('-')) {
                why.push(format!("headroom {headroom}"));
            }
            for node in plan.per_node.iter().filter(|n| !n.fits) {
                why.push(format!(
                    "node {} would request {} of {}",
                    node.node,
                    node.requests.text(),
                    nodes.allocatable.text()
                ));
            }
            let mut help = format!(
                "`lgtmc plan --env {}` shows each component and node: lower a size (`compute {{ container … }}`, a section's `resources`), fewer replicas, or more or larger nodes",
                plan.environment
            );
            if !plan.enforce {
                help.push_str("; `compute enforce=#true` makes this an error");
            }
            let problem = Problem::new(
                &files[origin.file],
                origin.span,
                format!(
                    "environment `{}` requests {}, which does not fit {} nodes: {}",
                    plan.environment,
                    plan.requests_text,
                    nodes.count,
                    why.join("; ")
                ),
                format!("allocatable {} per node", nodes.allocatable.text()),
            )
            .with_help(help);
            Some((problem, plan.enforce))
        })
        .collect()
}
