#[wrkflw::wrkflw_table]
struct Run(String, i64);

fn main() {
    let _ = Run(String::new(), 0);
}
