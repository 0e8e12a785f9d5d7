use wrkflw::wrkflw_table;

struct Run {
    run_id: String,
}

#[wrkflw_table]
struct Step {
    #[wrkflw(primary_key)]
    step_id: i64,
    #[wrkflw(references = Run)]
    run_id: String,
}

fn main() {
    let _ = Run { run_id: String::new() }.run_id;
}
