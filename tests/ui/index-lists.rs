use wrkflw::wrkflw_table;

#[wrkflw_table(
    index(workflow_id, updatd_at),
    index(workflow_id, workflow_id),
    index(name),
    unique(run_id),
    index(input),
    index("name"),
    unique()
)]
struct Run {
    #[wrkflw(primary_key)]
    run_id: String,
    workflow_id: String,
    #[wrkflw(index)]
    name: String,
    updated_at: i64,
    #[wrkflw(json)]
    input: Vec<String>,
}

fn main() {}
