//! Every bad input is a compile error spanned on the offending token, reported together with
//! the others of its struct, without a cascade of follow-on errors. The reviewed messages are
//! the `.stderr` files beside each case in `tests/ui/`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}

/// Valid structs at the edges of the attributes (names that shadow the prelude, fields named
/// like the finders' parameters, an index on a later key column) compile.
#[test]
fn ui_pass() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui-pass/*.rs");
}
