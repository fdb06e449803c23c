//! The layout of `capacity.svg`: a stacked bar of raw bytes per tenant and backend against the
//! budget, in integer coordinates, so that the template only writes elements.

use serde::Serialize;

use super::CapacityPlan;
use crate::units::{clamp, format_bytes};

/// The bar chart of `capacity.svg`: raw bytes per tenant and backend against the budget, laid
/// out here (integer coordinates) so that the template only writes elements.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    pub width: u64,
    pub height: u64,
    pub title: String,
    /// Where the row labels end (they are right-aligned to it).
    pub label_x: u64,
    pub bar_height: u64,
    pub legend: Vec<LegendItem>,
    pub rows: Vec<ChartRow>,
    pub budget: Option<BudgetLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LegendItem {
    pub x: u64,
    pub text_x: u64,
    pub colour: &'static str,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartRow {
    pub label: String,
    /// Top of the bar, and the baseline of its texts.
    pub y: u64,
    pub text_y: u64,
    pub segments: Vec<ChartSegment>,
    pub value: String,
    pub value_x: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartSegment {
    pub x: u64,
    pub width: u64,
    pub colour: &'static str,
    /// The tooltip: `platform, Mimir: 434.53 GiB`.
    pub title: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetLine {
    pub x: u64,
    pub y1: u64,
    pub y2: u64,
    pub label: String,
    pub label_y: u64,
    /// `end` when the line is in the right half, so that the label stays in the picture.
    pub anchor: &'static str,
    pub colour: &'static str,
}

const CHART_WIDTH: u64 = 800;
const LABEL_RIGHT: u64 = 120;
pub(super) const BAR_LEFT: u64 = 130;
pub(super) const BAR_WIDTH: u64 = 520;
const ROWS_TOP: u64 = 64;
const ROW_PITCH: u64 = 26;
const BAR_HEIGHT: u64 = 16;
/// Okabe–Ito colours, told apart with any colour vision: Mimir, Loki, Tempo, Pyroscope.
const COLOURS: [&str; 4] = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7"];

/// One bar of the chart: raw bytes per backend, stacked.
struct Bar {
    label: String,
    parts: Vec<(&'static str, u64)>,
    total: u64,
    value: String,
}

/// The horizontal scale: bytes to an x coordinate, `BAR_WIDTH` pixels for `max` bytes.
#[derive(Clone, Copy)]
struct Scale {
    max: u64,
}

impl Scale {
    fn x_of(self, bytes: u64) -> u64 {
        BAR_LEFT + clamp(u128::from(bytes) * u128::from(BAR_WIDTH) / u128::from(self.max))
    }
}

/// Lays out the chart of one plan: a row for all tenants, then one per tenant, each a bar stacked
/// by backend; the scale fits the budget or the total, whichever is larger.
pub fn chart(platform: &str, plan: &CapacityPlan) -> Chart {
    let budget_bytes = plan.budget.as_ref().map(|b| b.budget_bytes);
    let scale = Scale {
        max: budget_bytes.unwrap_or(0).max(plan.size.raw_bytes).max(1),
    };
    let rows: Vec<ChartRow> = bars(plan)
        .into_iter()
        .enumerate()
        .map(|(index, bar)| row(index, bar, scale))
        .collect();
    let bottom = ROWS_TOP + ROW_PITCH * rows.len() as u64;
    Chart {
        width: CHART_WIDTH,
        height: bottom + 28,
        label_x: LABEL_RIGHT,
        bar_height: BAR_HEIGHT,
        title: format!(
            "Raw Ceph storage of {platform} ({}): {}",
            plan.environment,
            plan.summary()
        ),
        legend: legend(plan),
        rows,
        budget: budget_line(plan, scale, bottom),
    }
}

/// A colour and a label per backend, left to right.
fn legend(plan: &CapacityPlan) -> Vec<LegendItem> {
    plan.backends
        .iter()
        .zip(COLOURS)
        .enumerate()
        .map(|(index, (backend, colour))| {
            let x = BAR_LEFT + 130 * index as u64;
            LegendItem {
                x,
                text_x: x + 14,
                colour,
                label: format!("{} ({})", backend.backend, backend.signal),
            }
        })
        .collect()
}

/// The bar of all tenants, then one bar per tenant.
fn bars(plan: &CapacityPlan) -> Vec<Bar> {
    let all = Bar {
        label: "all tenants".to_owned(),
        parts: plan
            .backends
            .iter()
            .map(|b| (b.backend, b.size.raw_bytes))
            .collect(),
        total: plan.size.raw_bytes,
        value: plan.size.raw.clone(),
    };
    // Every backend has one row per tenant, in the order of `plan.tenants`: a tenant's bytes are
    // found by position, so the chart stays linear in the number of tenants.
    let tenants = plan.tenants.iter().enumerate().map(|(index, tenant)| Bar {
        label: tenant.tenant.clone(),
        parts: plan
            .backends
            .iter()
            .map(|backend| {
                let bytes = backend
                    .rows
                    .get(index)
                    .filter(|row| row.tenant == tenant.tenant)
                    .map_or(0, |row| row.size.raw_bytes);
                (backend.backend, bytes)
            })
            .collect(),
        total: tenant.size.raw_bytes,
        value: tenant.size.raw.clone(),
    });
    std::iter::once(all).chain(tenants).collect()
}

/// The `index`th row: its bar's segments, each starting where the previous one ends.
fn row(index: usize, bar: Bar, scale: Scale) -> ChartRow {
    let Bar {
        label,
        parts,
        total,
        value,
    } = bar;
    let y = ROWS_TOP + ROW_PITCH * index as u64;
    let mut cumulative = 0u64;
    let mut segments = Vec::new();
    for ((backend, bytes), colour) in parts.into_iter().zip(COLOURS) {
        let x = scale.x_of(cumulative);
        cumulative = cumulative.saturating_add(bytes);
        let width = scale.x_of(cumulative) - x;
        if width > 0 {
            segments.push(ChartSegment {
                x,
                width,
                colour,
                title: format!("{label}, {backend}: {}", format_bytes(bytes)),
            });
        }
    }
    ChartRow {
        label,
        y,
        text_y: y + 12,
        segments,
        value,
        value_x: scale.x_of(total) + 6,
    }
}

/// The budget's vertical line across the rows, when there is a budget.
fn budget_line(plan: &CapacityPlan, scale: Scale, bottom: u64) -> Option<BudgetLine> {
    plan.budget.as_ref().map(|budget| BudgetLine {
        x: scale.x_of(budget.budget_bytes),
        anchor: if scale.x_of(budget.budget_bytes) > CHART_WIDTH / 2 {
            "end"
        } else {
            "start"
        },
        y1: ROWS_TOP - 6,
        y2: bottom,
        label: format!(
            "budget {} ({} × {})",
            budget.budget, budget.raw_capacity, budget.max_fill_text
        ),
        label_y: bottom + 14,
        colour: if plan.is_over_budget() {
            "#D55E00"
        } else {
            "#333333"
        },
    })
}
