//! The Grafana plan's unit tests.

use super::alerting::rule_groups;
use super::panels::ref_id;
use super::*;

#[test]
fn provisioning_literals_double_dollars() {
    assert_eq!(provisioning_literal("#a$b$$c"), "#a$$b$$$$c");
    assert_eq!(provisioning_literal("#alerts"), "#alerts");
}

#[test]
fn ref_ids_are_letters() {
    assert_eq!(ref_id(0), "A");
    assert_eq!(ref_id(3), "D");
    assert_eq!(ref_id(99), "Z");
}

#[test]
fn rule_uids_fit_grafana() {
    for group in rule_groups() {
        for rule in group.rules {
            assert!(rule.uid.len() <= 40, "{}", rule.uid);
        }
    }
}
