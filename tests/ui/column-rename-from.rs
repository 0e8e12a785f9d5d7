use wrkflw::wrkflw_table;

#[wrkflw_table(rename_from = "runs")]
struct Run {
    #[wrkflw(primary_key)]
    run_id: String,
    // Naming the column itself.
    #[wrkflw(rename_from = "status")]
    status: String,
    // Two columns reading one legacy column.
    #[wrkflw(rename_from = "state")]
    phase: String,
    #[wrkflw(rename_from = "state")]
    stage: String,
    // Not a valid name.
    #[wrkflw(rename_from = "old name")]
    label: String,
}

#[wrkflw_table(name = "migrations")]
struct Migration {
    #[wrkflw(primary_key)]
    id: i64,
}

fn main() {}
