use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Step {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(primary_key)]
    step_id: Option<i64>,
}

fn main() {}
