#[wrkflw::wrkflw_table]
struct Run;

fn main() {
    let _ = Run;
}
