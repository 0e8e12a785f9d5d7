//! Every write an old deployment makes to the kept legacy table arrives, also when one
//! statement moves several keys at once (rows that swap keys, a chain of keys shifted by
//! one), and an upsert, a `COPY` and a delete followed by a re-insert of the key in one
//! transaction.
//!
//! A row trigger cannot tell a key another row of the same statement left from a key the
//! new application holds for a row of its own, so a key moved onto a key the new table
//! holds with other values is logged as taken: the migration then settles it under
//! `OnConflict`, and nothing diverges silently.

use wrkflw::postgres::{Client, PgMigrator, PgTable};
use wrkflw::{Error, LegacyTable, OnConflict};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

fn migrated(db: &PgDb) -> Client {
    let mut client = db.client();
    client.batch_execute(pg::LEGACY_SCHEMA_SQL).unwrap();
    client
        .batch_execute(
            "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES
               ('a', 'wa', 'sa'), ('b', 'wb', 'sb'), ('c', 'wc', 'sc'), ('d', 'wd', 'sd')",
        )
        .unwrap();
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client
}

fn statuses(client: &mut Client) -> Vec<(String, String)> {
    client
        .query(
            "SELECT run_id, status FROM wrkflw_workflow_runs ORDER BY run_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Every key whose row the new table holds with other values than the legacy table's is
/// logged as a conflict: a run that fails on conflicts names them, and one that takes the
/// legacy rows makes the new table mirror the legacy table.
fn settled_by_taking_the_legacy_rows(client: &mut Client) {
    let differing: Vec<String> = client
        .query(
            "SELECT l.run_id FROM workflow_runs AS l LEFT JOIN wrkflw_workflow_runs AS n
               ON n.run_id = l.run_id WHERE n IS NULL OR n::text <> l::text ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let logged: Vec<String> = pg::conflicts(client, "wrkflw_workflow_runs")
        .into_iter()
        .map(|(key, _, _)| key)
        .collect();
    for key in &differing {
        assert!(
            logged.iter().any(|l| l.contains(key.as_str())),
            "{key} differs and is not logged: {logged:?}"
        );
    }
    if !differing.is_empty() {
        let refused = <WorkflowRun as PgTable>::migrate(client, LegacyTable::Keep).unwrap_err();
        assert!(matches!(refused, Error::Conflicts { .. }), "{refused}");
    }
    PgMigrator::new()
        .table::<WorkflowRun>()
        .on_conflict(OnConflict::TakeLegacy)
        .run(client, LegacyTable::Keep)
        .unwrap();
    assert_eq!(pg::mirror_differences(client), (0, 0));
    assert!(pg::conflicts(client, "wrkflw_workflow_runs")
        .iter()
        .all(|(_, _, settled)| settled.is_some()));
}

fn expect(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter()
        .map(|(k, s)| (k.to_string(), s.to_string()))
        .collect()
}

#[test]
fn two_rows_that_swap_keys_in_one_update_never_diverge_silently() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    // The primary key is checked at the end of the statement only when deferrable; a
    // swap through a CASE works on a non-deferrable key when no row collides mid-way,
    // which PostgreSQL checks per row: so drop to a deferrable key, as some schemas have.
    client
        .batch_execute(
            "ALTER TABLE workflow_runs DROP CONSTRAINT workflow_runs_pkey;
             ALTER TABLE workflow_runs ADD PRIMARY KEY (run_id) DEFERRABLE INITIALLY DEFERRED;",
        )
        .unwrap();
    // Re-running installs the capture again if the change of key altered anything.
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    db.client()
        .batch_execute(
            "UPDATE workflow_runs SET run_id = CASE run_id WHEN 'a' THEN 'b' ELSE 'a' END
             WHERE run_id IN ('a', 'b')",
        )
        .unwrap();

    settled_by_taking_the_legacy_rows(&mut client);
    assert_eq!(
        statuses(&mut client),
        expect(&[("a", "sb"), ("b", "sa"), ("c", "sc"), ("d", "sd")])
    );
}

#[test]
fn keys_shifted_along_a_chain_in_one_update_never_diverge_silently() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);
    // a -> b, b -> c, c -> d, d -> e: each new key was another row's old one.
    client
        .batch_execute(
            "ALTER TABLE workflow_runs DROP CONSTRAINT workflow_runs_pkey;
             ALTER TABLE workflow_runs ADD PRIMARY KEY (run_id) DEFERRABLE INITIALLY DEFERRED;",
        )
        .unwrap();
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    db.client()
        .batch_execute("UPDATE workflow_runs SET run_id = chr(ascii(run_id) + 1)")
        .unwrap();

    settled_by_taking_the_legacy_rows(&mut client);
    assert_eq!(
        statuses(&mut client),
        expect(&[("b", "sa"), ("c", "sb"), ("d", "sc"), ("e", "sd")])
    );
}

#[test]
fn a_key_deleted_and_inserted_again_in_one_transaction_holds_the_new_row() {
    let Some(db) = PgDb::new() else { return };
    let mut client = migrated(&db);

    db.client()
        .batch_execute(
            "BEGIN;
             DELETE FROM workflow_runs WHERE run_id = 'a';
             INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('a', 'w2', 'again');
             INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('e', 'we', 'se')
               ON CONFLICT (run_id) DO UPDATE SET status = 'updated';
             INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('e', 'we', 'se')
               ON CONFLICT (run_id) DO UPDATE SET status = 'updated';
             COPY workflow_runs (run_id, workflow_id, status) FROM PROGRAM 'printf \"f\\tw\\tcopied\\n\"';
             COMMIT;",
        )
        .unwrap();

    assert_eq!(
        statuses(&mut client),
        expect(&[
            ("a", "again"),
            ("b", "sb"),
            ("c", "sc"),
            ("d", "sd"),
            ("e", "updated"),
            ("f", "copied")
        ])
    );
    assert_eq!(pg::mirror_differences(&mut client), (0, 0));
    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 0);
}
