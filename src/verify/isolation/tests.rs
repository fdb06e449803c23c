use super::*;

use crate::verify::tests::rendered;

fn datasources(tenant: &str, header: &str) -> String {
    format!(
        "apiVersion: 1\ndatasources:\n  - uid: metrics-{tenant}\n    jsonData:\n      httpHeaderName1: X-Scope-OrgID\n      exemplarTraceIdDestinations:\n        - datasourceUid: traces-{tenant}\n    secureJsonData:\n      httpHeaderValue1: {header}\n  - uid: traces-{tenant}\n    jsonData:\n      httpHeaderName1: X-Scope-OrgID\n    secureJsonData:\n      httpHeaderValue1: {header}\n"
    )
}

fn messages(files: &[(&str, &str)]) -> Vec<String> {
    let rendered = rendered(files);
    let tree = crate::verify::verify(&rendered).expect("every file parses");
    match check(&rendered, &tree, &["dev".to_owned()]) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.message).collect(),
    }
}

const DEV: &str = "dev/grafana/provisioning/datasources/dev.yaml";
const PLATFORM: &str = "dev/grafana/provisioning/datasources/platform.yaml";
const BOARD: &str = "dev/grafana/provisioning/dashboards/dev.a.json";

fn board(uid: &str) -> String {
    format!(
        r#"{{"uid":"a","title":"A","schemaVersion":41,"panels":[{{"datasource":{{"uid":"{uid}"}},"targets":[{{"refId":"A"}}]}}]}}"#
    )
}

#[test]
fn own_datasources_pass() {
    let dev = datasources("dev", "dev");
    let platform = datasources("platform", "platform");
    let board = board("metrics-dev");
    assert!(messages(&[(DEV, &dev), (PLATFORM, &platform), (BOARD, &board)]).is_empty());
}

#[test]
fn another_tenants_datasource_fails() {
    let dev = datasources("dev", "dev");
    let platform = datasources("platform", "platform");
    let board = board("metrics-platform");
    assert_eq!(
        messages(&[(DEV, &dev), (PLATFORM, &platform), (BOARD, &board)]),
        [
            "dashboard `A` in the folder of tenant `dev` queries data source `metrics-platform` of tenant `platform` (at `/panels/0/datasource`)"
        ]
    );
}

#[test]
fn unknown_and_default_datasources_fail() {
    let dev = datasources("dev", "dev");
    let unknown = board("metrics-nope");
    assert_eq!(
        messages(&[(DEV, &dev), (BOARD, &unknown)]),
        [
            "dashboard `A` in the folder of tenant `dev` queries data source `metrics-nope`, which does not exist (at `/panels/0/datasource`)"
        ]
    );
    let default = r#"{"uid":"a","title":"A","schemaVersion":41,"panels":[{"targets":[]}]}"#;
    assert_eq!(
        messages(&[(DEV, &dev), (BOARD, default)]),
        [
            "dashboard `A` in the folder of tenant `dev` uses the default data source (at `/panels/0`)"
        ]
    );
}

#[test]
fn datasource_variables_and_missing_schema_version_fail() {
    let dev = datasources("dev", "dev");
    let board =
        r#"{"uid":"a","title":"A","templating":{"list":[{"type":"datasource","name":"ds"}]}}"#;
    assert_eq!(
        messages(&[(DEV, &dev), (BOARD, board)]),
        [
            "dashboard `A` in the folder of tenant `dev` has no `schemaVersion`",
            "dashboard `A` in the folder of tenant `dev` has a data source variable `ds`"
        ]
    );
}

#[test]
fn a_datasource_must_send_its_own_tenant() {
    let dev = datasources("dev", "dev|platform");
    let found = messages(&[(DEV, &dev)]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with(
        "data source `metrics-dev` of tenant `dev` does not send `X-Scope-OrgID: dev`"
    ));
}

#[test]
fn links_stay_within_the_tenant() {
    let dev = datasources("dev", "dev").replace(
        "datasourceUid: traces-dev",
        "datasourceUid: traces-platform",
    );
    let platform = datasources("platform", "platform");
    assert_eq!(
        messages(&[(DEV, &dev), (PLATFORM, &platform)]),
        [
            "data source `metrics-dev` of tenant `dev` queries data source `traces-platform` of tenant `platform` (at `/jsonData/exemplarTraceIdDestinations/0/datasourceUid`)"
        ]
    );
}

#[test]
fn alert_rules_query_their_folders_tenant() {
    let dev = datasources("dev", "dev");
    let platform = datasources("platform", "platform");
    let rules = "apiVersion: 1\ngroups:\n  - name: g\n    folder: platform\n    rules:\n      - data:\n          - datasourceUid: metrics-dev\n          - datasourceUid: __expr__\n";
    assert_eq!(
        messages(&[
            (DEV, &dev),
            (PLATFORM, &platform),
            ("dev/grafana/provisioning/alerting/rules.yaml", rules)
        ]),
        [
            "alert rule group `g` in the folder of tenant `platform` queries data source `metrics-dev` of tenant `dev` (at `/groups/0/rules/0/data/0/datasourceUid`)"
        ]
    );
}
