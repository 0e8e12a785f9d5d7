//! A PostgreSQL migrator killed with SIGKILL in the middle of its copy: the server rolls its
//! transaction back when the connection drops, so nothing of it remains (no table, no
//! capture, no ledger, no lock), and the next run copies every row.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use wrkflw::postgres::{PgTable, MIGRATION_LOCK_KEY};
use wrkflw::LegacyTable;
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 60_000;

#[test]
fn a_migrator_killed_mid_copy_leaves_nothing_and_the_next_run_copies_every_row() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    let before = pg::database_state(&mut client);

    let mut child = Command::new(env!("CARGO_BIN_EXE_pg-migrate-child"))
        .arg(db.connection_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Wait until the server shows the child's copy running.
    let started = Instant::now();
    let backend: i32 = loop {
        let copying = client
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
                   AND pid <> pg_backend_pid() AND state = 'active'
                   AND query LIKE 'INSERT INTO public.wrkflw_workflow_runs%'",
                &[],
            )
            .unwrap();
        if let Some(row) = copying {
            break row.get(0);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child ended before its copy was seen: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the copy never showed in pg_stat_activity"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());

    // The server notices the dead client and rolls its transaction back.
    let started = Instant::now();
    loop {
        let alive: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)",
                &[&backend],
            )
            .unwrap()
            .get(0);
        if !alive {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the killed migrator's backend lives on"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    assert_eq!(pg::database_state(&mut client), before);
    assert!(!pg::exists(&mut client, "wrkflw_workflow_runs"));
    assert!(!pg::exists(&mut client, "wrkflw_migrations"));
    assert!(!pg::function_exists(
        &mut client,
        "wrkflw_workflow_runs_capture"
    ));
    assert!(pg::triggers(&mut client, "workflow_runs").is_empty());
    let held: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
               AND ((classid::bigint << 32) | objid::bigint) = $1",
            &[&MIGRATION_LOCK_KEY],
        )
        .unwrap()
        .get(0);
    assert_eq!(held, 0);

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, ROWS);
    assert_eq!(pg::count(&mut client, "wrkflw_workflow_runs"), ROWS as i64);
    assert_eq!(
        pg::rows_checksum(&mut client, "wrkflw_workflow_runs"),
        pg::rows_checksum(&mut client, "workflow_runs")
    );
}
