//! Review 2: a rebuild drops every trigger named like the table's capture
//! (`{table}_capture_*`) and installs the capture again only when the struct still names the
//! legacy table. A struct that no longer has `rename_from` (the developer dropped it, the
//! old deployments still run) gets its table rebuilt and the capture on `old_jobs` removed
//! silently: the report says `capture: None`, `plan` shows no removal of a capture, and an
//! old deployment's insert after the rebuild never reaches the table. Without the rebuild
//! the capture stays and keeps carrying writes.

#![allow(dead_code)]

use wrkflw::{wrkflw_table, LegacyTable, Table};
use wrkflw_tests::DbFile;

mod v1 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "jobs", rename_from = "old_jobs")]
    pub struct Job {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub size: String,
    }
}

/// `rename_from` gone, `size` an integer: a rebuild.
mod v2 {
    use super::wrkflw_table;
    #[wrkflw_table(name = "jobs")]
    pub struct Job {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub size: i64,
    }
}

#[test]
fn a_rebuild_does_not_silently_remove_a_capture_it_does_not_install_again() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE old_jobs (id INTEGER PRIMARY KEY, size TEXT NOT NULL);
         INSERT INTO old_jobs VALUES (1, '1');",
    )
    .unwrap();
    v1::Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let report = v2::Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(report.rebuilt);
    // An old deployment, still running, writes its legacy table.
    conn.execute("INSERT INTO old_jobs VALUES (2, '2')", [])
        .unwrap();
    let arrived: i64 = conn
        .query_row("SELECT count(*) FROM wrkflw_jobs WHERE id = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        arrived == 1 || report.capture.is_some(),
        "the capture on old_jobs was dropped by the rebuild, silently: {report:?}"
    );
}
