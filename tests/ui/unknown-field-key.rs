use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_ky)]
    id: String,
    #[wrkflw(indexed, unique)]
    status: String,
}

fn main() {
    let _ = Run { id: String::new(), status: String::new() };
}
