use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Step {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(primary_key)]
    step_id: i64,
}

#[wrkflw_table]
struct Attempt {
    #[wrkflw(primary_key)]
    attempt_id: i64,
    #[wrkflw(references = Step)]
    run_id: String,
}

fn main() {}
