#[wrkflw_table(
    name = "workflow_steps",
    index(run_id, updated_at),
    unique(run_id, name)
)]
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowStep {
    #[wrkflw(primary_key, references = WorkflowRun, on_delete = "cascade")]
    pub run_id: String,
    #[wrkflw(primary_key)]
    pub step_index: i64,
    pub name: String,
    #[wrkflw(unique)]
    pub idempotency_key: Option<String>,
    pub updated_at: i64,
}
