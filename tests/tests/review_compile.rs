//! Review reproductions (branch `review`): valid structs the generated code must compile for.
//! Each case in `tests/ui-review/` says why it is valid; each fails to compile on the
//! reviewed commit, except `shadowed-names-new-attributes.rs`, which guards the new
//! attributes' generated paths.

#[test]
fn review_valid_structs_compile() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui-review/*.rs");
}
