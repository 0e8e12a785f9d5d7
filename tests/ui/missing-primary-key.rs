use wrkflw::wrkflw_table;

#[wrkflw_table(rename_from = "workflow_runs")]
struct Run {
    run_id: String,
}

fn main() {
    let _ = Run { run_id: String::new() };
}
