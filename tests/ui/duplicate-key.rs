use wrkflw::wrkflw_table;

#[wrkflw_table(rename_from = "runs", rename_from = "jobs")]
struct Run {
    #[wrkflw(primary_key)]
    #[wrkflw(primary_key)]
    id: String,
    #[wrkflw(index, default = "'new'", default = "'old'")]
    status: String,
}

fn main() {
    let _ = Run { id: String::new(), status: String::new() };
}
