//! `wrkflw`: the command line for the original library's storage table,
//! `wrkflw_workflow_runs` migrated from `workflow_runs` (see `wrkflw::cli`).
//!
//! ```sh
//! wrkflw status --database runs.db
//! wrkflw migrate --database runs.db
//! ```

use std::process::ExitCode;

use wrkflw::storage::WorkflowStorage;

fn main() -> ExitCode {
    wrkflw::cli::run(WorkflowStorage::migrator())
}
