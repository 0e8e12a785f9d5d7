//! The generated schema of the seed table is the original engine's, column for column, except
//! that `run_id` is `NOT NULL`.

use wrkflw::rusqlite::Connection;
use wrkflw::{LegacyTable, Table};
use wrkflw_tests::{indexes, seed, table_info, DbFile, WorkflowRun};

#[test]
fn create_sql_matches_the_original_ddl_except_a_not_null_key() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL).unwrap();
    let mut expected = table_info(&conn, "wrkflw_workflow_runs");
    conn.execute_batch("DROP TABLE wrkflw_workflow_runs")
        .unwrap();

    conn.execute_batch(WorkflowRun::CREATE_SQL).unwrap();
    let generated = table_info(&conn, "wrkflw_workflow_runs");

    assert_eq!(expected[0].0, "run_id");
    assert!(!expected[0].2, "the original key column is nullable");
    expected[0].2 = true;
    assert_eq!(generated, expected);
}

#[test]
fn indexes_match_the_original_ddl() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL).unwrap();
    let expected = indexes(&conn, "wrkflw_workflow_runs");
    conn.execute_batch("DROP TABLE wrkflw_workflow_runs")
        .unwrap();

    conn.execute_batch(WorkflowRun::CREATE_SQL).unwrap();
    for index in WorkflowRun::INDEX_SQL {
        conn.execute_batch(index).unwrap();
    }
    assert_eq!(indexes(&conn, "wrkflw_workflow_runs"), expected);
    assert_eq!(expected.len(), 2);
}

#[test]
fn migrate_on_a_file_builds_the_same_schema() {
    let db = DbFile::new();
    let mut conn = db.open();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let reference = Connection::open_in_memory().unwrap();
    reference
        .execute_batch(seed::ORIGINAL_NEW_SCHEMA_SQL)
        .unwrap();
    let mut expected = table_info(&reference, "wrkflw_workflow_runs");
    expected[0].2 = true;
    assert_eq!(table_info(&conn, "wrkflw_workflow_runs"), expected);
    assert_eq!(
        indexes(&conn, "wrkflw_workflow_runs"),
        indexes(&reference, "wrkflw_workflow_runs")
    );
}
