use wrkflw::wrkflw_table;

#[wrkflw_table(drop_columns("status", "old-name", legacy_flag, "notes", "notes"))]
struct Run {
    #[wrkflw(primary_key)]
    run_id: String,
    status: String,
}

#[wrkflw_table(drop_columns = "notes", strict = "yes")]
struct Job {
    #[wrkflw(primary_key)]
    job_id: String,
}

fn main() {}
