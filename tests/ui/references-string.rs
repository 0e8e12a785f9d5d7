use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Step {
    #[wrkflw(primary_key)]
    step_id: i64,
    #[wrkflw(references = "workflow_runs")]
    run_id: String,
}

fn main() {}
