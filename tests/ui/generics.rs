#[wrkflw::wrkflw_table]
struct Run<T> {
    #[wrkflw(primary_key)]
    id: T,
}

fn main() {
    let _ = Run { id: 1_i64 };
}
