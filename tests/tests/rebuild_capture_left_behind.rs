//! A capture a struct no longer installs (it dropped its `rename_from`, old deployments
//! still write the old table) is not the struct's to remove: a rebuild of the table drops
//! it and creates it again exactly as it was, like any trigger that names the table, and an
//! old deployment's write after the rebuild still reaches the table.

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
fn a_capture_the_struct_no_longer_installs_survives_a_rebuild() {
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
