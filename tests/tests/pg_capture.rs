//! The change capture on PostgreSQL: every write an old deployment makes to the kept legacy
//! table after the migration (insert, update, upsert, a key moved, delete, truncate) arrives
//! in the new table in the writer's own transaction, so that a re-run has nothing to copy;
//! a capture found missing or altered is reconciled by key and installed again.

use wrkflw::postgres::{Client, PgTable};
use wrkflw::{CaptureStatus, CopyPath, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 500;

fn migrated(db: &PgDb) -> Client {
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client
}

fn status_of(client: &mut Client, run_id: &str) -> Option<String> {
    client
        .query_opt(
            "SELECT status FROM wrkflw_workflow_runs WHERE run_id = $1",
            &[&run_id],
        )
        .unwrap()
        .map(|r| r.get(0))
}

#[test]
fn an_old_deployments_writes_arrive_as_they_happen() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    let first = wrkflw_tests::seed::legacy_run(0).run_id;
    let second = wrkflw_tests::seed::legacy_run(1).run_id;
    let third = wrkflw_tests::seed::legacy_run(2).run_id;

    // Another connection, as an old deployment would be.
    let mut old = db.client();
    old.batch_execute(
        "INSERT INTO workflow_runs (run_id, workflow_id, status, state, created_at)
           VALUES ('new-1', 'w', 'running', '{\"a\":1}', 5);",
    )
    .unwrap();
    assert_eq!(status_of(&mut client, "new-1").as_deref(), Some("running"));
    old.execute(
        "UPDATE workflow_runs SET status = 'success' WHERE run_id = $1",
        &[&first],
    )
    .unwrap();
    assert_eq!(status_of(&mut client, &first).as_deref(), Some("success"));
    // An upsert that updates fires the update trigger.
    old.execute(
        "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ($1, 'w', 'upserted')
         ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status",
        &[&second],
    )
    .unwrap();
    assert_eq!(status_of(&mut client, &second).as_deref(), Some("upserted"));
    // A key moved: the row leaves its old key.
    old.execute(
        "UPDATE workflow_runs SET run_id = 'moved' WHERE run_id = $1",
        &[&third],
    )
    .unwrap();
    assert_eq!(status_of(&mut client, &third), None);
    assert!(status_of(&mut client, "moved").is_some());
    // A delete.
    old.execute("DELETE FROM workflow_runs WHERE run_id = 'new-1'", &[])
        .unwrap();
    assert_eq!(status_of(&mut client, "new-1"), None);
    // A write that rolls back leaves nothing.
    let mut tx = old.transaction().unwrap();
    tx.execute(
        "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('ghost', 'w', 's')",
        &[],
    )
    .unwrap();
    tx.rollback().unwrap();
    assert_eq!(status_of(&mut client, "ghost"), None);

    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 0);
    assert_eq!(report.capture, Some(CaptureStatus::Active));
    assert!(pg::conflicts(&mut client, "wrkflw_workflow_runs").is_empty());
}

#[test]
fn a_truncate_is_carried_over_as_deletes_of_the_legacy_rows() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    // A row of the new application's own, which no legacy row stands for.
    client
        .execute(
            "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status) VALUES ('own', 'w', 's')",
            &[],
        )
        .unwrap();

    db.client().batch_execute("TRUNCATE workflow_runs").unwrap();

    assert_eq!(pg::count(&mut client, "wrkflw_workflow_runs"), 1);
    assert!(status_of(&mut client, "own").is_some());
}

#[test]
fn a_row_rewritten_by_a_trigger_of_the_application_ends_with_its_last_values() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    // An application's own AFTER trigger that rewrites the row it fires for: its nested
    // update is carried over first, and the outer, older values must not overwrite it.
    client
        .batch_execute(
            "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               UPDATE workflow_runs SET status = 'stamped' WHERE run_id = NEW.run_id AND status <> 'stamped';
               RETURN NULL;
             END $$;
             CREATE TRIGGER a_stamp AFTER INSERT ON workflow_runs FOR EACH ROW EXECUTE FUNCTION stamp();",
        )
        .unwrap();

    db.client()
        .execute(
            "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('r', 'w', 'fresh')",
            &[],
        )
        .unwrap();

    assert_eq!(status_of(&mut client, "r").as_deref(), Some("stamped"));
    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
    // The nested write made the row the table holds the legacy row: no conflict.
    assert!(pg::conflicts(&mut client, "wrkflw_workflow_runs").is_empty());
}

#[test]
fn a_capture_dropped_by_hand_is_reconciled_by_key_and_installed_again() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    client
        .batch_execute(
            "DROP TRIGGER wrkflw_workflow_runs_capture ON workflow_runs;
             INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('unseen', 'w', 's');",
        )
        .unwrap();
    assert_eq!(status_of(&mut client, "unseen"), None);

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!(report.capture, Some(CaptureStatus::Restored));
    assert_eq!(report.copy_path, Some(CopyPath::Reconcile));
    assert_eq!(report.rows_copied, 1);
    assert_eq!(status_of(&mut client, "unseen").as_deref(), Some("s"));
    assert_eq!(
        pg::triggers(&mut client, "workflow_runs"),
        [
            "wrkflw_workflow_runs_capture",
            "wrkflw_workflow_runs_capture_truncate"
        ]
    );
    // Installed again: later writes arrive.
    client
        .execute(
            "UPDATE workflow_runs SET status = 'later' WHERE run_id = 'unseen'",
            &[],
        )
        .unwrap();
    assert_eq!(status_of(&mut client, "unseen").as_deref(), Some("later"));
    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.capture, Some(CaptureStatus::Active));
}

#[test]
fn a_disabled_trigger_counts_as_altered() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    client
        .batch_execute(
            "ALTER TABLE workflow_runs DISABLE TRIGGER wrkflw_workflow_runs_capture;
             UPDATE workflow_runs SET status = 'while_off' WHERE run_id IN
               (SELECT run_id FROM workflow_runs ORDER BY run_id LIMIT 3);
             DELETE FROM wrkflw_workflow_runs WHERE run_id IN
               (SELECT run_id FROM workflow_runs ORDER BY run_id DESC LIMIT 2);",
        )
        .unwrap();

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!(report.capture, Some(CaptureStatus::Restored));
    // The two rows missing by key come back; the three updated ones are kept as the table
    // has them (a reconcile cannot know which side wrote last) and counted.
    assert_eq!(report.rows_copied, 2);
    assert_eq!(report.rows_differing, 3);
    let enabled: String = client
        .query_one(
            "SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'wrkflw_workflow_runs_capture'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(enabled, "O");
}

mod orders {
    use wrkflw::wrkflw_table;

    #[wrkflw_table(rename_from = "orders")]
    pub struct Order {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub total: i64,
    }

    /// The struct grows a field the legacy table has held all along.
    #[wrkflw_table(rename_from = "orders")]
    pub struct OrderWithNote {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub total: i64,
        pub note: Option<String>,
    }
}

#[test]
fn a_struct_that_gains_a_legacy_column_fills_it_and_updates_the_capture() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(
            "CREATE TABLE orders (id BIGINT PRIMARY KEY, total BIGINT NOT NULL, note TEXT);
             INSERT INTO orders VALUES (1, 10, 'first'), (2, 20, NULL);",
        )
        .unwrap();
    let report = <orders::Order as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.legacy_only_columns, ["note"]);
    client
        .batch_execute("INSERT INTO orders VALUES (3, 30, 'third')")
        .unwrap();

    let report =
        <orders::OrderWithNote as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!(report.columns_added, ["note"]);
    assert_eq!(report.capture, Some(CaptureStatus::Updated));
    assert_eq!(report.rows_copied, 0);
    let notes = |client: &mut Client| -> Vec<Option<String>> {
        client
            .query("SELECT note FROM wrkflw_orders ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(
        notes(&mut client),
        [Some("first".to_owned()), None, Some("third".to_owned())]
    );
    // The capture carries the new column over from now on.
    client
        .batch_execute("UPDATE orders SET note = 'second' WHERE id = 2")
        .unwrap();
    assert_eq!(notes(&mut client)[1].as_deref(), Some("second"));
    let again =
        <orders::OrderWithNote as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(again.capture, Some(CaptureStatus::Active));
}
