use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    run_id: String,
}

#[wrkflw_table]
struct Step {
    #[wrkflw(primary_key)]
    step_id: i64,
    #[wrkflw(references = Run)]
    run_id: i64,
}

fn main() {}
