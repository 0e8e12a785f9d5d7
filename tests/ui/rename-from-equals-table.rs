use wrkflw::wrkflw_table;

#[wrkflw_table(rename_from = "wrkflw_runs", name = "runs")]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
}

#[wrkflw_table(rename_from = "jobs", prefix = "")]
struct Job {
    #[wrkflw(primary_key)]
    id: String,
}

fn main() {
    let _ = (Run { id: String::new() }, Job { id: String::new() });
}
