//! Review 3, adversarial: the Ctrl-C flag of `wrkflw::cli` is a process-wide static that is
//! set by the signal and never cleared. After one Ctrl-C, every later `migrate` run by
//! `cli::run_from` in the same process is cancelled at its first event: an application that
//! embeds the command line (an admin shell, a retry loop) can never migrate again.
//! One test in its own binary: it sends SIGINT to this process.

use std::process::ExitCode;

use nix::sys::signal::{raise, Signal};
use wrkflw::storage::WorkflowStorage;
use wrkflw_tests::DbFile;

fn migrate(db: &DbFile) -> ExitCode {
    wrkflw::cli::run_from(
        [
            "wrkflw",
            "migrate",
            "--format",
            "json",
            "--database",
            db.path().to_str().unwrap(),
        ],
        WorkflowStorage::migrator(),
    )
}

#[test]
fn one_ctrl_c_cancels_at_most_one_run() {
    // The first run installs the Ctrl-C handler (it must be there before SIGINT is raised,
    // or the signal would end the test process).
    let (first, second, third) = (DbFile::legacy(10), DbFile::legacy(10), DbFile::legacy(10));
    assert_eq!(migrate(&first), ExitCode::SUCCESS);
    raise(Signal::SIGINT).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // This one may take the Ctrl-C as meant for it (130)...
    assert_eq!(migrate(&second), ExitCode::from(130));
    // ...but the Ctrl-C is spent: the next run must migrate.
    assert_eq!(
        migrate(&third),
        ExitCode::SUCCESS,
        "cancelled by a spent Ctrl-C"
    );
}
