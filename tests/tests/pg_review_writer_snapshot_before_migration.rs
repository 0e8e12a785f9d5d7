//! Every write an old deployment makes to the kept legacy table arrives, also from a
//! `REPEATABLE READ` (or `SERIALIZABLE`) transaction whose snapshot was taken before the
//! first migration committed: such a snapshot sees neither the copied rows nor the new
//! table's later rows, so the capture cannot carry its write over by key, and the write
//! must fail (a serialization failure the application retries) rather than be lost.

use wrkflw::postgres::driver::IsolationLevel;
use wrkflw::postgres::{Client, PgTable};
use wrkflw::LegacyTable;
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

fn legacy(db: &PgDb) -> Client {
    let mut client = db.client();
    client.batch_execute(pg::LEGACY_SCHEMA_SQL).unwrap();
    client
        .batch_execute(
            "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES
               ('a', 'wa', 'sa'), ('b', 'wb', 'sb')",
        )
        .unwrap();
    client
}

fn run_ids(client: &mut Client) -> Vec<String> {
    client
        .query("SELECT run_id FROM wrkflw_workflow_runs ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Runs `write` in a transaction of the old deployment whose snapshot was taken before
/// the migration, and returns whether it committed.
fn write_from_an_old_snapshot(db: &PgDb, client: &mut Client, write: &str) -> bool {
    let mut old = db.client();
    let mut tx = old
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()
        .unwrap();
    // The snapshot: taken by the first statement, a read of something else.
    tx.query_one("SELECT 1", &[]).unwrap();
    <WorkflowRun as PgTable>::migrate(client, LegacyTable::Keep).unwrap();
    tx.batch_execute(write).and_then(|()| tx.commit()).is_ok()
}

#[test]
fn a_delete_from_an_older_snapshot_is_carried_over_or_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = legacy(&db);
    let committed = write_from_an_old_snapshot(
        &db,
        &mut client,
        "DELETE FROM workflow_runs WHERE run_id = 'a'",
    );
    let legacy_ids: Vec<String> = client
        .query("SELECT run_id FROM workflow_runs ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(legacy_ids.len(), if committed { 1 } else { 2 });
    assert_eq!(run_ids(&mut client), legacy_ids, "the tables differ");
    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
}

#[test]
fn an_update_from_an_older_snapshot_is_carried_over_or_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = legacy(&db);
    write_from_an_old_snapshot(
        &db,
        &mut client,
        "UPDATE workflow_runs SET status = 'changed' WHERE run_id = 'a'",
    );
    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
}

#[test]
fn an_insert_from_an_older_snapshot_is_carried_over_or_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = legacy(&db);
    write_from_an_old_snapshot(
        &db,
        &mut client,
        "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('c', 'wc', 'sc')",
    );
    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
}
