//! `row_counts`: the troubleshooting query, built in.

use wrkflw::{row_counts, Error, LegacyTable, RowCounts, Table};
use wrkflw_tests::{DbFile, WorkflowRun};

#[test]
fn counts_follow_the_migration() {
    let db = DbFile::legacy(120);
    let mut conn = db.open();
    let error = row_counts::<WorkflowRun>(&conn).unwrap_err();
    assert!(matches!(&error, Error::NoSuchTable { table } if table == "wrkflw_workflow_runs"));
    assert_eq!(
        error.to_string(),
        "table `wrkflw_workflow_runs` does not exist; run the migration first"
    );

    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute("DELETE FROM wrkflw_workflow_runs WHERE rowid <= 20", [])
        .unwrap();
    let counts = row_counts::<WorkflowRun>(&conn).unwrap();
    assert_eq!(
        counts,
        RowCounts {
            table: 100,
            legacy: Some(120)
        }
    );
    assert_eq!(
        counts.to_string(),
        "100 rows in the table, 120 in the legacy table"
    );

    conn.execute_batch("DROP TABLE workflow_runs").unwrap();
    let counts = row_counts::<WorkflowRun>(&conn).unwrap();
    assert_eq!(
        counts,
        RowCounts {
            table: 100,
            legacy: None
        }
    );
    assert_eq!(counts.to_string(), "100 rows in the table, no legacy table");
}

#[test]
fn counts_inside_an_open_transaction_see_its_writes() {
    let db = DbFile::new();
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute(
        "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status) VALUES ('a', 'w', 's')",
        [],
    )
    .unwrap();
    assert_eq!(row_counts::<WorkflowRun>(&tx).unwrap().table, 1);
    tx.rollback().unwrap();
    assert_eq!(row_counts::<WorkflowRun>(&conn).unwrap().table, 0);
}
