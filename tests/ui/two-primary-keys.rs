use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
    #[wrkflw(primary_key)]
    other_id: String,
}

fn main() {
    let _ = Run { id: String::new(), other_id: String::new() };
}
