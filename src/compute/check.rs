//! The checks of the `compute` section and of every `resources` that no schema can express:
//! quantities that come to whole millicores and bytes, container keys the plan knows, a reserve
//! smaller than the node, and `enforce` only with nodes. Called by `validate`, which maps each
//! JSON pointer to its file, line and column.

use super::{CONTAINERS, SECTION_CONTAINERS, parse_cpu, parse_memory};
use crate::diagnostic::did_you_mean;
use crate::document::pointer_child;
use crate::model::Platform;

/// One quantity of the spec: where it is, its text, whether it is CPU, whether zero is allowed.
struct Quantity<'a> {
    pointer: String,
    text: &'a str,
    cpu: bool,
    zero: bool,
}

/// Reports every problem of the compute spec through `report(pointer, message, label, help)`.
pub fn problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let spec = &platform.compute;
    for key in spec.containers.keys() {
        let pointer = pointer_child("/compute/container", key);
        if let Some((_, section)) = SECTION_CONTAINERS.iter().find(|(k, _)| k == key) {
            report(
                &pointer,
                format!("container `{key}` is sized by its section's `resources`"),
                "sized elsewhere",
                format!("write `{section} {{ resources cpu=\"…\" memory=\"…\" }}` instead"),
            );
        } else if !CONTAINERS.iter().any(|c| c.key == key) {
            let help = did_you_mean(key, CONTAINERS.iter().map(|c| c.key)).unwrap_or_else(|| {
                "`lgtmc plan --format json` lists every container key (`sizes`)".to_owned()
            });
            report(
                &pointer,
                format!("`{key}` is not a container the plan knows"),
                "unknown container",
                help,
            );
        }
    }
    for quantity in quantities(platform) {
        quantity_problem(&quantity, report);
    }
    match &spec.nodes {
        Some(nodes) => {
            let cpu = (parse_cpu(&nodes.cpu), parse_cpu(&spec.reserve.cpu));
            let memory = (
                parse_memory(&nodes.memory),
                parse_memory(&spec.reserve.memory),
            );
            for (pointer, what, pair) in [
                ("/compute/reserve/cpu", "CPU", cpu),
                ("/compute/reserve/memory", "memory", memory),
            ] {
                if let (Some(size), Some(reserve)) = pair
                    && reserve >= size
                {
                    report(
                            pointer,
                            format!("the reserve takes all of a node's {what}"),
                            "nothing left",
                            "the reserve is what each node keeps outside the platform; make it less than the node".to_owned(),
                        );
                }
            }
        }
        None if spec.enforce => report(
            "/compute/enforce",
            "`enforce` needs nodes, and `compute` declares none".to_owned(),
            "nothing to enforce",
            "add `nodes count=… cpu=\"…\" memory=\"…\"` to `compute`, or remove `enforce`"
                .to_owned(),
        ),
        None => {}
    }
}

fn quantity_problem(q: &Quantity, report: &mut impl FnMut(&str, String, &str, String)) {
    let parsed = if q.cpu {
        parse_cpu(q.text)
    } else {
        parse_memory(q.text)
    };
    let text = q.text;
    match parsed {
        None if q.cpu => report(
            &q.pointer,
            format!("the CPU quantity `{text}` is finer than a millicore, or too large"),
            "not whole millicores",
            "write millicores (`250m`) or CPUs with at most three decimals (`1.5`)".to_owned(),
        ),
        None => report(
            &q.pointer,
            format!("the memory quantity `{text}` is more than 16 EiB"),
            "too large",
            "write a size such as `512Mi` or `4Gi`".to_owned(),
        ),
        Some(0) if !q.zero => report(
            &q.pointer,
            format!("`{text}` is zero"),
            "must be more than zero",
            "a container that requests nothing is scheduled anywhere and evicted first; write its real size".to_owned(),
        ),
        Some(_) => {}
    }
}

/// Every CPU and memory quantity of the spec.
fn quantities<'a>(platform: &'a Platform) -> Vec<Quantity<'a>> {
    let spec = &platform.compute;
    let mut out = Vec::new();
    let mut push = |pointer: String, text: Option<&'a String>, cpu: bool, zero: bool| {
        if let Some(text) = text {
            out.push(Quantity {
                pointer,
                text,
                cpu,
                zero,
            });
        }
    };
    if let Some(nodes) = &spec.nodes {
        push(
            "/compute/nodes/cpu".to_owned(),
            Some(&nodes.cpu),
            true,
            false,
        );
        push(
            "/compute/nodes/memory".to_owned(),
            Some(&nodes.memory),
            false,
            false,
        );
    }
    push(
        "/compute/reserve/cpu".to_owned(),
        Some(&spec.reserve.cpu),
        true,
        true,
    );
    push(
        "/compute/reserve/memory".to_owned(),
        Some(&spec.reserve.memory),
        false,
        true,
    );
    let sections = [
        ("/metrics", &platform.metrics.resources),
        ("/logs", &platform.logs.resources),
        ("/traces", &platform.traces.resources),
        ("/profiles", &platform.profiles.resources),
        ("/collector", &platform.collector.resources),
    ];
    let sections = sections
        .into_iter()
        .map(|(section, resources)| (format!("{section}/resources"), resources));
    let containers = spec
        .containers
        .iter()
        .map(|(key, resources)| (pointer_child("/compute/container", key), resources));
    for (pointer, resources) in sections.chain(containers) {
        push(
            format!("{pointer}/cpu"),
            resources.cpu.as_ref(),
            true,
            false,
        );
        push(
            format!("{pointer}/memory"),
            resources.memory.as_ref(),
            false,
            false,
        );
    }
    out
}
