//! Every bad input is a compile error spanned on the offending token, reported together with
//! the others of its struct, without a cascade of follow-on errors. The reviewed messages are
//! the `.stderr` files beside each case in `tests/ui/`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
