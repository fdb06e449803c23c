use super::convert::{Position, convert};
use super::*;

/// A CRD directory in a temporary directory.
fn crd_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
        std::fs::write(path, text).expect("write");
    }
    dir
}

const WIDGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size:
                type: integer
              port:
                x-kubernetes-int-or-string: true
                anyOf:
                - type: integer
                - type: string
              bare:
                x-kubernetes-int-or-string: true
              owner:
                type: string
                nullable: true
              mode:
                type: string
                enum: [fast, slow]
                nullable: true
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known:
                    type: string
              labels:
                type: object
                additionalProperties:
                  type: string
              items:
                type: array
                items:
                  type: object
                  properties:
                    name:
                      type: string
              either:
                type: object
                properties:
                  a:
                    type: string
                  b:
                    type: string
                anyOf:
                - required: [a]
                  properties:
                    a:
                      minLength: 1
                - required: [b]
"#;

fn widgets() -> (tempfile::TempDir, CrdSet) {
    let dir = crd_dir(&[("widgets.yaml", WIDGET_CRD)]);
    let crds = load(dir.path()).expect("the CRDs load");
    (dir, crds)
}

fn widget(spec: &str) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: n\n  labels: {{a: b}}\nspec:\n{spec}"
    )
}

fn messages(crds: &CrdSet, text: &str) -> Vec<String> {
    validate_file(crds, "out/w.yaml", text)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_valid_resource_passes_and_is_counted() {
    let (_dir, crds) = widgets();
    assert_eq!(crds.crd_count(), 1);
    assert_eq!(
        crds.kinds().collect::<Vec<_>>(),
        [("example.com/v1", "Widget")]
    );
    let check = check_file(&crds, "out/w.yaml", &widget("  size: 3\n  port: http\n"));
    assert_eq!(check.problems, []);
    assert_eq!(check.resources.len(), 1);
    assert_eq!(check.resources[0].name, "w");
}

#[test]
fn unknown_fields_are_rejected_with_a_suggestion() {
    let (_dir, crds) = widgets();
    assert_eq!(
        messages(&crds, &widget("  size: 3\n  portt: 80\n")),
        ["out/w.yaml: Widget w: /spec/portt: unknown field `portt`; did you mean `port`?"]
    );
    assert_eq!(
        messages(
            &crds,
            &widget("  size: 3\n  items:\n  - name: a\n    colour: red\n")
        ),
        ["out/w.yaml: Widget w: /spec/items/0/colour: unknown field `colour` (allowed: `name`)"]
    );
    assert_eq!(
        messages(&crds, &widget("  size: 3\nstatus: {}\n")),
        [
            "out/w.yaml: Widget w: /status: unknown field `status` (allowed: `apiVersion`, `kind`, `metadata`, `spec`)"
        ]
    );
}

#[test]
fn preserved_subtrees_and_maps_accept_any_key() {
    let (_dir, crds) = widgets();
    let text = widget(
        "  size: 3\n  extra:\n    known: x\n    anything:\n      deep: [1, 2]\n  labels:\n    free: form\n",
    );
    assert_eq!(messages(&crds, &text), Vec::<String>::new());
    let text = widget("  size: 3\n  labels:\n    free: 1\n");
    assert_eq!(
        messages(&crds, &text),
        ["out/w.yaml: Widget w: /spec/labels/free: expected string, found 1"]
    );
}

#[test]
fn int_or_string_accepts_both_and_nothing_else() {
    let (_dir, crds) = widgets();
    for value in ["80", "http", "\"80\""] {
        let text = widget(&format!("  size: 3\n  port: {value}\n  bare: {value}\n"));
        assert_eq!(messages(&crds, &text), Vec::<String>::new(), "{value}");
    }
    assert_eq!(
        messages(&crds, &widget("  size: 3\n  bare: [1]\n  port: 1.5\n")),
        [
            "out/w.yaml: Widget w: /spec/bare: expected integer or string, found a list",
            "out/w.yaml: Widget w: /spec/port: expected integer or string, found 1.5",
        ]
    );
}

#[test]
fn nullable_allows_null_only_where_declared() {
    let (_dir, crds) = widgets();
    let text = widget("  size: 3\n  owner: null\n  mode: null\n");
    assert_eq!(messages(&crds, &text), Vec::<String>::new());
    assert_eq!(
        messages(&crds, &widget("  size: null\n")),
        ["out/w.yaml: Widget w: /spec/size: expected integer, found null"]
    );
    assert_eq!(
        messages(&crds, &widget("  size: 1\n  mode: medium\n")),
        [
            r#"out/w.yaml: Widget w: /spec/mode: expected one of "fast", "slow", null, found the string "medium""#
        ]
    );
}

#[test]
fn root_metadata_is_allowed_and_required_fields_are_named() {
    let (_dir, crds) = widgets();
    assert_eq!(
        messages(&crds, &widget("  port: 1\n")),
        ["out/w.yaml: Widget w: /spec: missing required field `size`"]
    );
    // anyOf branches only add checks: `b` is not made unknown by the first branch.
    assert_eq!(
        messages(&crds, &widget("  size: 1\n  either: {b: x}\n")),
        Vec::<String>::new()
    );
    assert_eq!(
        messages(&crds, &widget("  size: 1\n  either: {a: \"\"}\n")),
        [
            "out/w.yaml: Widget w: /spec/either: matches none of the allowed alternatives: (1) /a: \"\" is shorter than 1 character; (2) missing required field `b`"
        ]
    );
}

#[test]
fn other_kinds_and_other_files_are_not_checked() {
    let (_dir, crds) = widgets();
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n# values\nreplicas: 3\n---\n";
    let check = check_file(&crds, "out/c.yaml", text);
    assert_eq!(check, FileCheck::default());
    let mut rendered = crate::render::Rendered::default();
    for (path, text) in [
        ("a.json", "{}".to_owned()),
        ("b.yaml", widget("  size: x\n")),
    ] {
        rendered.files.insert(path.to_owned(), text.into());
    }
    let parsed = crate::verify::verify(&rendered).expect("every file parses");
    let tree = check_tree(&crds, &parsed, "out/");
    assert_eq!(tree.resources.len(), 1);
    assert_eq!(tree.problems.len(), 1);
    assert_eq!(tree.problems[0].path, "out/b.yaml");
}

#[test]
fn documents_are_numbered_and_unnamed_ones_say_so() {
    let (_dir, crds) = widgets();
    let text = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: example.com/v1\nkind: Widget\nspec: {size: 1, typo: 2}\n";
    let problems = validate_file(&crds, "out/w.yaml", text);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].document, 1);
    assert_eq!(problems[0].instance_path, "/spec/typo");
    assert!(
        problems[0]
            .to_string()
            .starts_with("out/w.yaml: Widget in document 2: /spec/typo: unknown field `typo`"),
        "{}",
        problems[0]
    );
    let broken = validate_file(&crds, "out/w.yaml", "a: [1\n");
    assert_eq!(broken.len(), 1);
    assert!(
        broken[0].message.starts_with("not valid YAML"),
        "{:?}",
        broken[0]
    );
}

#[test]
fn yaml_is_read_as_kubernetes_reads_it() {
    let (_dir, crds) = widgets();
    let text = widget("  size: 3\n  labels:\n    1: one\n  <<: {port: 8}\n");
    assert_eq!(messages(&crds, &text), Vec::<String>::new());
}

const KARGO_CRDS: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: promotiontasks.kargo.akuity.io
spec:
  group: kargo.akuity.io
  names: {kind: PromotionTask, plural: promotiontasks}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              steps:
                type: array
                items:
                  type: object
                  properties:
                    uses: {type: string}
                    as: {type: string}
                    task:
                      type: object
                      properties:
                        name: {type: string}
                    config:
                      x-kubernetes-preserve-unknown-fields: true
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: warehouses.kargo.akuity.io
spec:
  group: kargo.akuity.io
  names: {kind: Warehouse, plural: warehouses}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              subscriptions:
                type: array
                items:
                  x-kubernetes-preserve-unknown-fields: true
"#;

const STAGE_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: stages.kargo.akuity.io
spec:
  group: kargo.akuity.io
  names: {kind: Stage, plural: stages}
  scope: Namespaced
  versions:
  - name: v1alpha0
    served: false
    storage: false
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"#;

const COMMON: &str = r#"{"definitions": {"author": {"type": "object", "additionalProperties": false,
        "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}}}"#;
const COMMIT_STEP: &str = r#"{"$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object", "additionalProperties": false, "required": ["path"],
        "properties": {"path": {"type": "string", "minLength": 1},
          "retries": {"type": "integer"},
          "author": {"$ref": "common.json#/definitions/author"}}}"#;
const IMAGE: &str = r#"{"type": "object", "additionalProperties": false, "required": ["repoURL"],
        "properties": {"repoURL": {"type": "string"}, "constraint": {"type": "string"}}}"#;

fn kargo() -> (tempfile::TempDir, CrdSet) {
    let dir = crd_dir(&[
        ("kargo.yaml", KARGO_CRDS),
        ("stage.yml", STAGE_CRD),
        ("kargo-schemas/promotion-steps/common.json", COMMON),
        (
            "kargo-schemas/promotion-steps/git-commit-config.json",
            COMMIT_STEP,
        ),
        ("kargo-schemas/subscriptions/image.json", IMAGE),
    ]);
    let crds = load(dir.path()).expect("the CRDs load");
    (dir, crds)
}

fn task(steps: &str) -> String {
    format!(
        "apiVersion: kargo.akuity.io/v1alpha1\nkind: PromotionTask\nmetadata: {{name: t, namespace: p}}\nspec:\n  steps:\n{steps}"
    )
}

#[test]
fn kargo_step_configs_are_checked_against_their_step_schema() {
    let (_dir, crds) = kargo();
    assert_eq!(crds.steps().collect::<Vec<_>>(), ["git-commit"]);
    assert_eq!(crds.crd_count(), 3);
    assert!(crds.has_kind("kargo.akuity.io/v1alpha1", "Stage"));
    assert!(
        !crds.has_kind("kargo.akuity.io/v1alpha0", "Stage"),
        "not served"
    );
    let valid = task(
        "  - uses: git-commit\n    config:\n      path: ./repo\n      author: {name: k}\n  - task: {name: other}\n",
    );
    assert_eq!(messages(&crds, &valid), Vec::<String>::new());
    assert_eq!(
        messages(
            &crds,
            &task(
                "  - uses: git-commit\n    config:\n      path: ./repo\n      author: {nmae: k}\n"
            )
        ),
        [
            "out/w.yaml: PromotionTask t: /spec/steps/0/config/author/nmae: unknown field `nmae`; did you mean `name`?"
        ]
    );
    assert_eq!(
        messages(
            &crds,
            &task("  - uses: git-commit\n    config:\n      pth: ./repo\n")
        ),
        [
            "out/w.yaml: PromotionTask t: /spec/steps/0/config: missing required field `path`",
            "out/w.yaml: PromotionTask t: /spec/steps/0/config/pth: unknown field `pth`; did you mean `path`?",
        ]
    );
    assert_eq!(
        messages(&crds, &task("  - uses: git-comit\n")),
        [
            "out/w.yaml: PromotionTask t: /spec/steps/0/uses: unknown promotion step `git-comit`; did you mean `git-commit`?"
        ]
    );
    assert_eq!(
        messages(&crds, &task("  - as: x\n")),
        ["out/w.yaml: PromotionTask t: /spec/steps/0: a step needs `uses` or `task`"]
    );
}

#[test]
fn kargo_expressions_are_not_checked() {
    let (_dir, crds) = kargo();
    let text = task(
        "  - uses: git-commit\n    config:\n      path: ${{ vars.path }}\n      retries: ${{ vars.retries }}\n",
    );
    assert_eq!(messages(&crds, &text), Vec::<String>::new());
    let text =
        task("  - uses: git-commit\n    config:\n      path: ./repo\n      retries: three\n");
    assert_eq!(
        messages(&crds, &text),
        [
            r#"out/w.yaml: PromotionTask t: /spec/steps/0/config/retries: expected integer, found the string "three""#
        ]
    );
}

#[test]
fn stage_steps_are_checked_too() {
    let (_dir, crds) = kargo();
    let stage = |steps: &str| {
        format!(
            "apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\nmetadata: {{name: dev, namespace: p}}\nspec:\n  promotionTemplate:\n    spec:\n      steps:\n{steps}"
        )
    };
    assert_eq!(
        messages(
            &crds,
            &stage(
                "      - task: {name: t}\n      - uses: git-commit\n        config: {path: ., retries: 1}\n"
            )
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        messages(
            &crds,
            &stage(
                "      - task: {name: t}\n      - uses: git-commit\n        config: {retries: 1}\n"
            )
        ),
        [
            "out/w.yaml: Stage dev: /spec/promotionTemplate/spec/steps/1/config: missing required field `path`"
        ]
    );
}

#[test]
fn warehouse_subscriptions_are_checked_by_their_key() {
    let (_dir, crds) = kargo();
    let warehouse = |subscriptions: &str| {
        format!(
            "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata: {{name: w}}\nspec:\n  subscriptions:\n{subscriptions}"
        )
    };
    assert_eq!(
        messages(
            &crds,
            &warehouse("  - image: {repoURL: r, constraint: ^1}\n")
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        messages(
            &crds,
            &warehouse("  - image: {repoURL: r, semverConstraint: ^1}\n")
        ),
        [
            "out/w.yaml: Warehouse w: /spec/subscriptions/0/image/semverConstraint: unknown field `semverConstraint` (allowed: `constraint`, `repoURL`)"
        ]
    );
    assert_eq!(
        messages(&crds, &warehouse("  - imag: {repoURL: r}\n")),
        [
            "out/w.yaml: Warehouse w: /spec/subscriptions/0/imag: unknown subscription `imag`; did you mean `image`?"
        ]
    );
    let two = messages(&crds, &warehouse("  - image: {repoURL: r}\n    git: {}\n"));
    assert_eq!(two.len(), 1, "{two:?}");
}

#[test]
fn unusable_directories_are_errors() {
    let empty = crd_dir(&[("notes.yaml", "a: 1\n")]);
    assert!(matches!(load(empty.path()), Err(CrdError::Empty { .. })));
    assert!(matches!(
        load(&empty.path().join("missing")),
        Err(CrdError::Read { .. })
    ));
    let broken = crd_dir(&[("x.yaml", "a: [\n")]);
    assert!(matches!(load(broken.path()), Err(CrdError::Parse { .. })));
    let twice = crd_dir(&[("a.yaml", WIDGET_CRD), ("b.yaml", WIDGET_CRD)]);
    let error = load(twice.path()).map(|_| ()).expect_err("a duplicate");
    assert!(
        error
            .to_string()
            .contains("example.com/v1 Widget is defined twice"),
        "{error}"
    );
    let beta = crd_dir(&[(
        "a.yaml",
        &WIDGET_CRD.replace("apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"),
    )]);
    assert!(matches!(
        load(beta.path()),
        Err(CrdError::Definition { .. })
    ));
}

#[test]
fn openapi_exclusive_bounds_are_converted() {
    let converted = convert(
        &serde_json::json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "x-kubernetes-list-type": "atomic"}),
        Position::Structural,
    );
    assert_eq!(
        converted,
        serde_json::json!({"type": "integer", "exclusiveMinimum": 0})
    );
    let embedded = convert(
        &serde_json::json!({"type": "object", "x-kubernetes-embedded-resource": true,
                "properties": {"spec": {"type": "object"}}}),
        Position::Structural,
    );
    let properties = embedded["properties"].as_object().expect("properties");
    assert_eq!(
        properties.keys().collect::<Vec<_>>(),
        ["apiVersion", "kind", "metadata", "spec"]
    );
    assert_eq!(embedded["additionalProperties"], false);
    // Branches of anyOf only add checks; they are never made strict.
    let branch = convert(
        &serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}},
                "anyOf": [{"properties": {"a": {"minLength": 1}}}]}),
        Position::Structural,
    );
    assert_eq!(branch["additionalProperties"], false);
    assert_eq!(branch["anyOf"][0].get("additionalProperties"), None);
}
