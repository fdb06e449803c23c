use super::*;

#[test]
fn versions() {
    for good in ["5.6.0", "18.11.0", "1.0.0-rc.1", "2.2.4+build"] {
        assert!(is_version(good), "{good}");
    }
    for bad in ["5.6", "v5.6.0", "5.6.x", "", "5.6.0 # x", "5..0"] {
        assert!(!is_version(bad), "{bad}");
    }
}

#[test]
fn every_claimed_bucket_is_a_bucket_name() {
    for component in CATALOG {
        for bucket in component.buckets {
            assert!(
                BUCKET_NAMES.contains(&bucket.name),
                "{} claims {}",
                component.name,
                bucket.name
            );
        }
    }
}

#[test]
fn bucket_names_are_in_catalog_order() {
    // The order of the "the buckets are: …" help of an unknown quota.
    assert_eq!(
        *BUCKET_NAMES,
        [
            "mimir-blocks",
            "mimir-ruler",
            "mimir-alertmanager",
            "loki-chunks",
            "loki-ruler",
            "tempo-traces",
            "pyroscope-profiles",
            "sentry-files",
        ]
    );
}

#[test]
fn every_chart_is_known() {
    let names: Vec<&str> = charts().iter().map(|chart| chart.name).collect();
    assert_eq!(
        names,
        [
            "mimir-distributed",
            "loki",
            "tempo",
            "tempo-distributed",
            "pyroscope",
            "alloy",
            "grafana",
            "sentry",
            "k8sgpt-operator",
        ]
    );
}

#[test]
fn every_chart_has_its_values_file() {
    // An Application reads `<name>/values.yaml`; the component must render it.
    for component in CATALOG.iter().filter(|c| c.chart().is_some()) {
        let values = format!("{}/values.yaml", component.name);
        assert!(
            component.files.iter().any(|(file, _)| *file == values),
            "{} renders no {values}",
            component.name
        );
    }
}

#[test]
fn path_components_render_inside_their_directory() {
    for component in CATALOG {
        if let Delivery::Path { dir } = component.delivery {
            for (file, _) in component.files {
                assert!(
                    file.starts_with(&format!("{dir}/")),
                    "{} renders {file} outside {dir}",
                    component.name
                );
            }
        }
    }
}
