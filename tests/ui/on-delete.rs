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
    #[wrkflw(references = Run, on_delete = "cascde")]
    run_id: String,
    #[wrkflw(on_delete = "cascade")]
    parent_id: String,
    #[wrkflw(references = Run, on_delete = "set_null")]
    owner_id: String,
    #[wrkflw(references = Run, on_delete = "set_default")]
    spare_id: String,
}

fn main() {}
