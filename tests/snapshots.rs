//! Every rendered file of the example platform, as a reviewed snapshot.

use crate::common::{Repo, assert_exit};

#[test]
fn rendered_files() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    for (path, bytes) in repo.snapshot_tree("out") {
        let text = String::from_utf8(bytes).expect("UTF-8");
        let name = path.replace('/', "__");
        insta::with_settings!({ snapshot_suffix => name, omit_expression => true, description => path.as_str() }, {
            insta::assert_snapshot!(text);
        });
    }
}
