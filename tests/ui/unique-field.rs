use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key, unique)]
    run_id: String,
    #[wrkflw(index, unique)]
    name: String,
    #[wrkflw(json, unique)]
    input: Vec<String>,
}

fn main() {}
