//! The report of `lgtmc plan`: each environment's capacity plan, then its compute plan, as an
//! aligned text table or as JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::{BudgetStatus, CapacityPlan};
use crate::compute::ComputePlan;

/// The plain-text report of `lgtmc plan`: a summary line and an aligned table per environment.
pub fn text(plans: &[CapacityPlan], compute: &[ComputePlan]) -> String {
    let mut out = String::new();
    for (index, plan) in plans.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let verdict = match plan.status {
            BudgetStatus::Over => "OVER BUDGET",
            BudgetStatus::Within => "within budget",
            BudgetStatus::Undeclared => "no budget declared (`capacity raw=…`)",
        };
        let _ = writeln!(
            out,
            "{}: {} stored, {} — {verdict}",
            plan.environment,
            plan.size.stored,
            plan.summary()
        );
        // The tenant and backend columns are text; the rest are numbers.
        crate::units::aligned_table(&mut out, &rows(plan), 2);
        write_budget(&mut out, plan);
        if let Some(compute) = compute.get(index) {
            out.push_str(&crate::compute::text(compute));
        }
    }
    out
}

/// The table of one plan: a header, a row per backend and tenant, the backends' and the
/// tenants' totals, and the total.
fn rows(plan: &CapacityPlan) -> Vec<[String; 8]> {
    let mut rows: Vec<[String; 8]> = vec![[
        "backend".into(),
        "tenant".into(),
        "limit".into(),
        "utilisation".into(),
        "retention".into(),
        "stored".into(),
        format!("raw (×{})", plan.replicas),
        "of budget".into(),
    ]];
    for backend in &plan.backends {
        for row in &backend.rows {
            rows.push([
                backend.backend.to_owned(),
                row.tenant.clone(),
                row.limit_text.clone(),
                row.utilisation_text.clone(),
                row.retention.clone(),
                row.size.stored.clone(),
                row.size.raw.clone(),
                row.size.share.clone().unwrap_or_else(|| "-".to_owned()),
            ]);
        }
    }
    for backend in &plan.backends {
        rows.push([
            backend.backend.to_owned(),
            "(all)".into(),
            String::new(),
            String::new(),
            String::new(),
            backend.size.stored.clone(),
            backend.size.raw.clone(),
            backend.size.share.clone().unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    for tenant in &plan.tenants {
        rows.push([
            "(all)".into(),
            tenant.tenant.clone(),
            String::new(),
            String::new(),
            String::new(),
            tenant.size.stored.clone(),
            tenant.size.raw.clone(),
            tenant.size.share.clone().unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    rows.push([
        "total".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        plan.size.stored.clone(),
        plan.size.raw.clone(),
        plan.budget
            .as_ref()
            .map_or_else(|| "-".to_owned(), |b| b.used.clone()),
    ]);
    rows
}

/// The budget line, when there is a budget.
fn write_budget(out: &mut String, plan: &CapacityPlan) {
    if let Some(budget) = &plan.budget {
        let _ = writeln!(
            out,
            "  budget: raw capacity {} × max fill {} = {}; {}",
            budget.raw_capacity,
            budget.max_fill_text,
            budget.budget,
            if budget.over_bytes > 0 {
                format!("over by {}", budget.over)
            } else {
                format!("{} to spare", budget.spare)
            }
        );
    }
}

/// The JSON report of `lgtmc plan --format json`: the platform and one plan per environment, with
/// every number in bytes (and, beside it, as the Markdown shows it).
pub fn json(platform: &str, plans: &[CapacityPlan], compute: &[ComputePlan]) -> String {
    #[derive(Serialize)]
    struct Environment<'a> {
        #[serde(flatten)]
        storage: &'a CapacityPlan,
        compute: Option<&'a ComputePlan>,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        platform: &'a str,
        environments: Vec<Environment<'a>>,
    }
    let report = Report {
        platform,
        environments: plans
            .iter()
            .enumerate()
            .map(|(index, storage)| Environment {
                storage,
                compute: compute.get(index),
            })
            .collect(),
    };
    // Serialising these types cannot fail: every map key is a string and every number finite.
    let mut text = serde_json::to_string_pretty(&report)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}
