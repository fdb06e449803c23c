//! What an environment's templates see: the plan as template values, made without copying the
//! parts that grow with the tenants and that one template each reads.
//!
//! The plan becomes one tree of minijinja values per environment, alive while its files render.
//! The capacity plan and its chart would be most of it at thousands of tenants (a row per tenant
//! and backend), so `capacity` and `capacity_chart` are made into values only when a template
//! reads them, and `capacity`'s rows (the bulk of it) one row at a time, as the template's loop
//! reaches each. A template sees the same keys, numbers and strings as it would in
//! `Serde(&plan.capacity)`; a test holds the two equal.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, merge_maps};

use crate::capacity::{BackendCapacity, CapacityPlan, Chart};
use crate::plan::EnvironmentPlan;
use crate::plan::grafana::GrafanaPlan;

/// The context of every template of `plan`.
pub(super) fn plan_context(plan: &EnvironmentPlan) -> Value {
    let on_demand = Fields(vec![
        ("capacity", Field::Capacity(Arc::clone(&plan.capacity))),
        (
            "capacity_chart",
            Field::Chart(Arc::clone(&plan.capacity_chart)),
        ),
        // Made now, not on each read: a template reads `grafana.sidecar` once per ConfigMap.
        ("grafana", Field::Made(grafana(&plan.grafana))),
    ]);
    merge_maps([Value::from_object(on_demand), Value::from(Serde(plan))])
}

/// `capacity` as the templates see it: its own fields as values, its lists on demand.
pub(super) fn capacity(plan: &Arc<CapacityPlan>) -> Value {
    let fields = CapacityPlan {
        environment: plan.environment.clone(),
        replicas: plan.replicas,
        backends: Vec::new(),
        tenants: Vec::new(),
        size: plan.size.clone(),
        budget: plan.budget.clone(),
        status: plan.status,
        enforce: plan.enforce,
        assumptions: plan.assumptions.clone(),
    };
    let lists = Fields(vec![
        ("backends", Field::Made(Rows::of(plan, List::Backends))),
        ("tenants", Field::Made(Rows::of(plan, List::Tenants))),
    ]);
    // The later map wins: the lists replace the empty ones of `fields`.
    merge_maps([Value::from(Serde(&fields)), Value::from_object(lists)])
}

/// `grafana` as the templates see it: its own fields as values, each of its lists (a data
/// source set, a dashboard and a ConfigMap or two per tenant) made whole when a template reads
/// it. No built-in template reads the data sources or the dashboards: each file's own is its
/// artifact's item.
pub(super) fn grafana(plan: &Arc<GrafanaPlan>) -> Value {
    let lists = Fields(
        [
            GrafanaList::Datasources,
            GrafanaList::Dashboards,
            GrafanaList::ConfigMaps,
        ]
        .map(|list| (list.key(), Field::GrafanaList(Arc::clone(plan), list)))
        .into(),
    );
    merge_maps([Value::from(Serde(&**plan)), Value::from_object(lists)])
}

/// A list of the Grafana plan.
#[derive(Clone, Copy, Debug)]
enum GrafanaList {
    Datasources,
    Dashboards,
    ConfigMaps,
}

impl GrafanaList {
    fn key(self) -> &'static str {
        match self {
            GrafanaList::Datasources => "datasources",
            GrafanaList::Dashboards => "dashboards",
            GrafanaList::ConfigMaps => "config_maps",
        }
    }

    fn value(self, plan: &GrafanaPlan) -> Value {
        match self {
            GrafanaList::Datasources => Value::from(Serde(&plan.datasources)),
            GrafanaList::Dashboards => Value::from(Serde(&plan.dashboards)),
            GrafanaList::ConfigMaps => Value::from(Serde(&plan.config_maps)),
        }
    }
}

/// One backend of `capacity` as the templates see it: its own fields, its rows on demand.
fn backend(plan: &Arc<CapacityPlan>, index: usize) -> Value {
    let backend = &plan.backends[index];
    let fields = BackendCapacity {
        signal: backend.signal,
        backend: backend.backend,
        bucket: backend.bucket,
        limit_unit: backend.limit_unit,
        stored_per_unit: backend.stored_per_unit,
        rows: Vec::new(),
        size: backend.size.clone(),
    };
    let rows = Fields(vec![(
        "rows",
        Field::Made(Rows::of(plan, List::Usage(index))),
    )]);
    merge_maps([Value::from(Serde(&fields)), Value::from_object(rows)])
}

/// A map of keys whose values are made when read.
#[derive(Debug)]
struct Fields(Vec<(&'static str, Field)>);

#[derive(Debug)]
enum Field {
    Capacity(Arc<CapacityPlan>),
    /// The chart is small beside the capacity plan (a bar per tenant): serialised whole.
    Chart(Arc<Chart>),
    GrafanaList(Arc<GrafanaPlan>, GrafanaList),
    /// A value made already, whose parts are made when read (a list of rows, `grafana`).
    Made(Value),
}

impl Object for Fields {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let (_, field) = self.0.iter().find(|(name, _)| *name == key)?;
        Some(match field {
            Field::Capacity(plan) => capacity(plan),
            Field::Chart(chart) => Value::from(Serde(&**chart)),
            Field::GrafanaList(plan, list) => list.value(plan),
            Field::Made(value) => value.clone(),
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(name, _)| Value::from(*name)).collect())
    }
}

/// Which list of the capacity plan.
#[derive(Clone, Copy, Debug)]
enum List {
    Backends,
    Tenants,
    /// One backend's rows, by the backend's index.
    Usage(usize),
}

/// A list of the capacity plan as a sequence, each item made into a value when it is read.
#[derive(Debug)]
struct Rows {
    plan: Arc<CapacityPlan>,
    list: List,
}

impl Rows {
    fn of(plan: &Arc<CapacityPlan>, list: List) -> Value {
        Value::from_object(Rows {
            plan: Arc::clone(plan),
            list,
        })
    }

    fn len(&self) -> usize {
        match self.list {
            List::Backends => self.plan.backends.len(),
            List::Tenants => self.plan.tenants.len(),
            List::Usage(backend) => self.plan.backends[backend].rows.len(),
        }
    }
}

impl Object for Rows {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let index = key.as_usize().filter(|index| *index < self.len())?;
        Some(match self.list {
            List::Backends => backend(&self.plan, index),
            List::Tenants => Value::from(Serde(&self.plan.tenants[index])),
            List::Usage(backend) => Value::from(Serde(&self.plan.backends[backend].rows[index])),
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every environment of the example: `capacity` as the templates read it, made on demand,
    /// has the same keys and values as the capacity plan serialised whole.
    #[test]
    fn capacity_on_demand_is_the_capacity_plan() {
        let spec = crate::compiler::validate_spec(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("the example spec is valid");
        for environment in &spec.environments {
            let plan = &environment.capacity;
            let whole = serde_json::to_value(&**plan).expect("the plan serialises");
            let on_demand = serde_json::to_value(capacity(plan)).expect("the values serialise");
            assert_eq!(on_demand, whole, "{}", environment.name);
            assert!(!plan.tenants.is_empty() && !plan.backends[0].rows.is_empty());
        }
    }

    /// Every environment of the example: `grafana` as the templates read it has the plan's own
    /// fields and its three lists, each as it serialises.
    #[test]
    fn grafana_on_demand_is_the_grafana_plan() {
        let spec = crate::compiler::validate_spec(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("the example spec is valid");
        for environment in &spec.environments {
            let plan = crate::plan::plan(environment);
            let mut whole = serde_json::to_value(&*plan.grafana).expect("the plan serialises");
            let lists = [
                (
                    "datasources",
                    serde_json::to_value(&plan.grafana.datasources),
                ),
                ("dashboards", serde_json::to_value(&plan.grafana.dashboards)),
                (
                    "config_maps",
                    serde_json::to_value(&plan.grafana.config_maps),
                ),
            ];
            for (key, list) in lists {
                let list = list.expect("the list serialises");
                assert!(
                    list.as_array().is_some_and(|items| !items.is_empty()),
                    "{key}"
                );
                whole[key] = list;
            }
            let context = plan_context(&plan);
            let read = context
                .get_attr("grafana")
                .expect("the context has `grafana`");
            let on_demand = serde_json::to_value(read).expect("the values serialise");
            assert_eq!(on_demand, whole, "{}", environment.name);
        }
    }
}
