//! What the PostgreSQL capture cannot carry over, logged in `wrkflw_conflicts` and settled by
//! the next migration: a legacy row under a key the new table holds for another row
//! (`key_taken`, settled under `OnConflict`), and a legacy row the new table cannot hold
//! (`rejected`: text that is not JSON, a NULL where it says NOT NULL).

use wrkflw::postgres::{Client, PgMigrator, PgTable};
use wrkflw::{wrkflw_table, Error, LegacyTable, OnConflict};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

fn migrated(db: &PgDb) -> Client {
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, 50);
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client
}

/// The new application writes run `k1`; an old deployment then writes another run `k1` to
/// the legacy table.
fn taken_key(db: &PgDb, client: &mut Client) {
    client
        .execute(
            "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status) VALUES ('k1', 'new-app', 'running')",
            &[],
        )
        .unwrap();
    db.client()
        .execute(
            "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('k1', 'old-app', 'failed')",
            &[],
        )
        .unwrap();
}

fn row(client: &mut Client, run_id: &str) -> Option<(String, String)> {
    client
        .query_opt(
            "SELECT workflow_id, status FROM wrkflw_workflow_runs WHERE run_id = $1",
            &[&run_id],
        )
        .unwrap()
        .map(|r| (r.get(0), r.get(1)))
}

fn migrate_with(
    client: &mut Client,
    on_conflict: OnConflict,
) -> wrkflw::Result<wrkflw::MigrationReport> {
    PgMigrator::new()
        .table::<WorkflowRun>()
        .on_conflict(on_conflict)
        .run(client, LegacyTable::Keep)
        .map(|mut reports| reports.remove(0))
}

#[test]
fn a_taken_key_is_logged_and_the_table_row_left_alone() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    taken_key(&db, &mut client);

    assert_eq!(
        row(&mut client, "k1"),
        Some(("new-app".to_owned(), "running".to_owned()))
    );
    assert_eq!(
        pg::conflicts(&mut client, "wrkflw_workflow_runs"),
        [("[\"k1\"]".to_owned(), "key_taken".to_owned(), None)]
    );
    // Later writes to the legacy row are not carried over onto the other row either.
    db.client()
        .execute(
            "UPDATE workflow_runs SET status = 'x' WHERE run_id = 'k1'",
            &[],
        )
        .unwrap();
    assert_eq!(row(&mut client, "k1").unwrap().1, "running");

    // The default policy refuses, naming the key, and changes nothing.
    let state = pg::database_state(&mut client);
    let error = migrate_with(&mut client, OnConflict::Fail).unwrap_err();
    match &error {
        Error::Conflicts {
            table,
            legacy_table,
            count,
            sample_keys,
        } => {
            assert_eq!(
                (table.as_str(), legacy_table.as_str()),
                ("wrkflw_workflow_runs", "workflow_runs")
            );
            assert_eq!(
                (*count, sample_keys.as_slice()),
                (1, &["'k1'".to_owned()][..])
            );
        }
        other => panic!("expected Conflicts, got {other:?}"),
    }
    assert_eq!(pg::database_state(&mut client), state);
}

#[test]
fn keep_table_keeps_the_new_row_and_stops_carrying_the_legacy_one() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    taken_key(&db, &mut client);

    let report = migrate_with(&mut client, OnConflict::KeepTable).unwrap();

    assert_eq!(report.conflicts, ["'k1'"]);
    assert!(
        report
            .to_string()
            .contains("settled 1 conflict (keys 'k1')"),
        "{report}"
    );
    assert_eq!(row(&mut client, "k1").unwrap().0, "new-app");
    assert_eq!(
        pg::conflicts(&mut client, "wrkflw_workflow_runs"),
        [(
            "[\"k1\"]".to_owned(),
            "key_taken".to_owned(),
            Some("kept_table".to_owned())
        )]
    );
    assert_eq!(
        pg::ledger(&mut client, "wrkflw_workflow_runs")
            .unwrap()
            .conflicts_settled,
        1
    );
    db.client()
        .execute(
            "UPDATE workflow_runs SET status = 'x' WHERE run_id = 'k1'",
            &[],
        )
        .unwrap();
    assert_eq!(row(&mut client, "k1").unwrap().1, "running");
    // Settled: the next run has nothing to do.
    let again = migrate_with(&mut client, OnConflict::Fail).unwrap();
    assert!(again.conflicts.is_empty());
}

#[test]
fn take_legacy_overwrites_the_new_row_and_carries_the_legacy_one_again() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    taken_key(&db, &mut client);

    let report = migrate_with(&mut client, OnConflict::TakeLegacy).unwrap();

    assert_eq!(report.conflicts, ["'k1'"]);
    assert_eq!(
        row(&mut client, "k1"),
        Some(("old-app".to_owned(), "failed".to_owned()))
    );
    assert_eq!(
        pg::conflicts(&mut client, "wrkflw_workflow_runs")[0]
            .2
            .as_deref(),
        Some("took_legacy")
    );
    db.client()
        .execute(
            "UPDATE workflow_runs SET status = 'retried' WHERE run_id = 'k1'",
            &[],
        )
        .unwrap();
    assert_eq!(row(&mut client, "k1").unwrap().1, "retried");
    // Deleting the legacy row now deletes the row, and forgets the conflict.
    db.client()
        .execute("DELETE FROM workflow_runs WHERE run_id = 'k1'", &[])
        .unwrap();
    assert_eq!(row(&mut client, "k1"), None);
    assert!(pg::conflicts(&mut client, "wrkflw_workflow_runs").is_empty());
}

#[test]
fn a_taken_key_freed_by_the_new_application_is_copied_by_the_next_run() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    taken_key(&db, &mut client);
    client
        .execute("DELETE FROM wrkflw_workflow_runs WHERE run_id = 'k1'", &[])
        .unwrap();

    let report = migrate_with(&mut client, OnConflict::Fail).unwrap();

    assert_eq!(report.rows_copied, 1);
    assert!(report.conflicts.is_empty());
    assert_eq!(row(&mut client, "k1").unwrap().0, "old-app");
    assert!(pg::conflicts(&mut client, "wrkflw_workflow_runs").is_empty());
}

/// JSON the old deployment kept as text, and a note.
#[wrkflw_table(rename_from = "docs")]
#[derive(Debug, Clone, PartialEq)]
struct Doc {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(json)]
    body: serde_json::Value,
    note: Option<String>,
}

#[test]
fn rows_the_table_cannot_hold_are_logged_as_rejected_until_fixed() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(
            "CREATE TABLE docs (id BIGINT PRIMARY KEY, body TEXT, note TEXT);
             INSERT INTO docs VALUES (1, '{\"a\": 1}', 'ok');",
        )
        .unwrap();
    <Doc as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    let mut old = db.client();
    old.batch_execute(
        "INSERT INTO docs VALUES (7, 'not json', 'bad');
         INSERT INTO docs VALUES (8, NULL, 'missing');",
    )
    .unwrap();
    assert_eq!(pg::count(&mut client, "wrkflw_docs"), 1);
    assert_eq!(
        pg::conflicts(&mut client, "wrkflw_docs"),
        [
            ("[7]".to_owned(), "rejected".to_owned(), None),
            ("[8]".to_owned(), "rejected".to_owned(), None)
        ]
    );

    // The next run refuses them by key, rather than drop them with the legacy table.
    let error = <Doc as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::WrongType {
            table, sample_keys, ..
        } => {
            assert_eq!(table, "wrkflw_docs");
            assert!(sample_keys.contains(&"7".to_owned()), "{sample_keys:?}");
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    assert!(pg::exists(&mut client, "docs"));

    // Fixed by the old deployment: carried over as it happens, and forgotten.
    old.batch_execute(
        "UPDATE docs SET body = '[7]' WHERE id = 7;
         UPDATE docs SET body = '{\"b\": 8}' WHERE id = 8;",
    )
    .unwrap();
    assert!(pg::conflicts(&mut client, "wrkflw_docs").is_empty());
    let doc = <Doc as PgTable>::get(&mut client, 8).unwrap().unwrap();
    assert_eq!(doc.body, serde_json::json!({"b": 8}));
    let report = <Doc as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap();
    assert!(report.legacy_dropped);
    assert_eq!(pg::count(&mut client, "wrkflw_docs"), 3);
}

#[test]
fn a_null_where_the_table_says_not_null_is_refused_by_the_next_run() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute("CREATE TABLE docs (id BIGINT PRIMARY KEY, body TEXT, note TEXT)")
        .unwrap();
    <Doc as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    db.client()
        .batch_execute("INSERT INTO docs VALUES (8, NULL, 'missing')")
        .unwrap();

    let error = <Doc as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err();

    match &error {
        Error::RejectedRows { table, nulls, .. } => {
            assert_eq!(table, "wrkflw_docs");
            assert_eq!(nulls.len(), 1, "{nulls:?}");
            assert_eq!(nulls[0].column, "body");
            assert_eq!(
                (nulls[0].rows, nulls[0].sample_keys.as_slice()),
                (1, &["8".to_owned()][..])
            );
        }
        other => panic!("expected RejectedRows, got {other:?}"),
    }
}
