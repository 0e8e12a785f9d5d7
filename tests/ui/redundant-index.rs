use wrkflw::wrkflw_table;

#[wrkflw_table(index(run_id), index(run_id, n))]
struct Step {
    #[wrkflw(primary_key, index)]
    run_id: String,
    #[wrkflw(primary_key)]
    n: i64,
}

fn main() {}
