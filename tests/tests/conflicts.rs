//! Two different rows under one key, one in each table: never a silent skip. The capture
//! logs the legacy row, leaves the table's row alone, and `migrate` settles it under the
//! migrator's `OnConflict`, counting it in the report and the ledger with its key.

#![allow(dead_code)] // The structs declare tables; these tests never read their fields.

use wrkflw::rusqlite::Connection;
use wrkflw::{
    wrkflw_table, Action, Error, KeyProblem, LegacyTable, Migrator, OnConflict, SqlType, Table,
};
use wrkflw_tests::{conflicts, count, ledger, DbFile};

/// A legacy table whose ids SQLite hands out (`AUTOINCREMENT`), as an old deployment and the
/// new application both insert.
#[wrkflw_table(rename_from = "jobs")]
#[derive(Debug, PartialEq)]
struct Job {
    #[wrkflw(primary_key)]
    id: i64,
    name: String,
}

fn jobs(rows: i64) -> (DbFile, Connection) {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)",
    )
    .unwrap();
    for i in 1..=rows {
        conn.execute(
            "INSERT INTO jobs (name) VALUES (?1)",
            [format!("legacy {i}")],
        )
        .unwrap();
    }
    Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    (db, conn)
}

fn name(conn: &Connection, table: &str, id: i64) -> Option<String> {
    conn.query_row(
        &format!("SELECT name FROM {table} WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )
    .ok()
}

/// Both sides take their next id: the new application in the new table, an old deployment
/// in the legacy table. Same id, two rows.
fn both_take_the_next_id(db: &DbFile) {
    db.open()
        .execute("INSERT INTO wrkflw_jobs (name) VALUES ('new app')", [])
        .unwrap();
    db.open()
        .execute("INSERT INTO jobs (name) VALUES ('old deployment')", [])
        .unwrap();
}

/// Item 3 of the adversarial review, under the default policy: the migration fails naming
/// the key, and changes nothing; the table's row was never overwritten.
#[test]
fn a_key_taken_on_both_sides_is_an_error_by_default_never_a_silent_skip() {
    let (db, mut conn) = jobs(100);
    both_take_the_next_id(&db);
    assert_eq!(name(&conn, "wrkflw_jobs", 101).as_deref(), Some("new app"));
    assert_eq!(name(&conn, "jobs", 101).as_deref(), Some("old deployment"));
    assert_eq!(
        conflicts(&conn, "wrkflw_jobs"),
        [("101".to_owned(), "key_taken".to_owned(), None)]
    );
    let bytes = db.bytes();
    for legacy in [LegacyTable::Keep, LegacyTable::Drop] {
        let error = Job::migrate(&mut conn, legacy).unwrap_err();
        match &error {
            Error::Conflicts {
                table,
                legacy_table,
                count,
                sample_keys,
            } => {
                assert_eq!(
                    (table.as_str(), legacy_table.as_str()),
                    ("wrkflw_jobs", "jobs")
                );
                assert_eq!(
                    (*count, sample_keys.as_slice()),
                    (1, ["101".to_owned()].as_slice())
                );
            }
            other => panic!("expected Conflicts, got {other:?}"),
        }
        assert!(
            error.to_string().contains("OnConflict::KeepTable"),
            "{error}"
        );
        assert_eq!(db.bytes(), bytes, "{legacy:?}: nothing changed");
    }
    // `plan` says the same, before anything is run.
    assert!(matches!(
        Job::plan(&conn, LegacyTable::Keep),
        Err(Error::Conflicts { count: 1, .. })
    ));
}

#[test]
fn keep_table_keeps_the_tables_row_and_records_the_key() {
    let (db, conn) = jobs(10);
    both_take_the_next_id(&db);
    let migrator = Migrator::new()
        .table::<Job>()
        .on_conflict(OnConflict::KeepTable);
    let plans = migrator.plan(&conn, LegacyTable::Keep).unwrap();
    assert!(
        plans[0].steps.iter().any(|s| s.action
            == Action::SettleConflicts {
                conflicts: 1,
                on_conflict: OnConflict::KeepTable
            }),
        "{}",
        plans[0]
    );
    drop(conn);
    let mut conn = db.open();
    let report = migrator
        .run(&mut conn, LegacyTable::Keep)
        .unwrap()
        .remove(0);
    assert_eq!(report.conflicts, ["11"]);
    assert!(
        report.to_string().contains("settled 1 conflict (keys 11)"),
        "{report}"
    );
    assert_eq!(name(&conn, "wrkflw_jobs", 11).as_deref(), Some("new app"));
    assert_eq!(
        conflicts(&conn, "wrkflw_jobs"),
        [(
            "11".to_owned(),
            "key_taken".to_owned(),
            Some("kept_table".to_owned())
        )]
    );
    assert_eq!(ledger(&conn, "wrkflw_jobs").unwrap().conflicts_settled, 1);
    // The legacy row stays apart: its later writes do not touch the table's row.
    conn.execute("UPDATE jobs SET name = 'old, renamed' WHERE id = 11", [])
        .unwrap();
    assert_eq!(name(&conn, "wrkflw_jobs", 11).as_deref(), Some("new app"));
    // Settled once: the next run (even under Fail) has nothing to settle.
    let again = Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(again.conflicts.is_empty());
    // Other legacy rows are carried over as before.
    conn.execute("UPDATE jobs SET name = 'renamed' WHERE id = 3", [])
        .unwrap();
    assert_eq!(name(&conn, "wrkflw_jobs", 3).as_deref(), Some("renamed"));
}

#[test]
fn take_legacy_overwrites_the_tables_row_and_links_the_two_again() {
    let (db, mut conn) = jobs(10);
    both_take_the_next_id(&db);
    let report = Migrator::new()
        .table::<Job>()
        .on_conflict(OnConflict::TakeLegacy)
        .run(&mut conn, LegacyTable::Keep)
        .unwrap()
        .remove(0);
    assert_eq!(report.conflicts, ["11"]);
    assert_eq!(
        name(&conn, "wrkflw_jobs", 11).as_deref(),
        Some("old deployment")
    );
    assert_eq!(
        conflicts(&conn, "wrkflw_jobs"),
        [(
            "11".to_owned(),
            "key_taken".to_owned(),
            Some("took_legacy".to_owned())
        )]
    );
    conn.execute("UPDATE jobs SET name = 'old, renamed' WHERE id = 11", [])
        .unwrap();
    assert_eq!(
        name(&conn, "wrkflw_jobs", 11).as_deref(),
        Some("old, renamed"),
        "one row again: the legacy row's writes are carried over"
    );
}

#[test]
fn a_conflict_ends_when_either_side_lets_go_of_the_key() {
    // The application deletes its row: the legacy row may now arrive, and does.
    let (db, mut conn) = jobs(5);
    both_take_the_next_id(&db);
    conn.execute("DELETE FROM wrkflw_jobs WHERE id = 6", [])
        .unwrap();
    let report = Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!((report.rows_copied, report.conflicts.len()), (1, 0));
    assert_eq!(
        name(&conn, "wrkflw_jobs", 6).as_deref(),
        Some("old deployment")
    );
    assert!(conflicts(&conn, "wrkflw_jobs").is_empty());

    // The old deployment deletes its row: the table's row stays, nothing is left logged.
    let (db, mut conn) = jobs(5);
    both_take_the_next_id(&db);
    conn.execute("DELETE FROM jobs WHERE id = 6", []).unwrap();
    assert!(conflicts(&conn, "wrkflw_jobs").is_empty());
    assert_eq!(name(&conn, "wrkflw_jobs", 6).as_deref(), Some("new app"));
    let report = Job::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.legacy_dropped);
    assert_eq!(count(&conn, "wrkflw_jobs"), 6);
}

/// A legacy table keyed by text, migrated into an integer key: `'01'` is key 1 there.
#[wrkflw_table(rename_from = "items")]
struct Item {
    #[wrkflw(primary_key)]
    id: i64,
    label: String,
}

/// Item 4: a legacy key that coerces onto another one in the table (`'01'` after `'1'` into
/// an integer key) cannot be captured by key, so keeping such a legacy table is refused
/// before anything is written, naming the column and why; dropping it in the same run
/// works, and the first run over such rows fails loudly, naming both keys.
#[test]
fn legacy_keys_that_can_become_one_key_are_never_captured_and_collisions_are_loud() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE items (id TEXT PRIMARY KEY, label TEXT NOT NULL);
         INSERT INTO items VALUES ('1', 'one'), ('2', 'two');",
    )
    .unwrap();
    let bytes = db.bytes();
    let error = Item::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    match &error {
        Error::CannotCapture {
            column, problem, ..
        } => {
            assert_eq!(column, "id");
            assert_eq!(
                problem,
                &KeyProblem::Affinity {
                    legacy: "TEXT".into(),
                    field: SqlType::Integer
                }
            );
        }
        other => panic!("expected CannotCapture, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("has TEXT affinity there but the field is INTEGER"),
        "{error}"
    );
    assert!(error.to_string().contains("LegacyTable::Drop"), "{error}");
    assert_eq!(db.bytes(), bytes);
    let report = Item::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!((report.rows_copied, report.legacy_dropped), (2, true));

    // The first run over rows that collide so fails, naming both keys.
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE items (id TEXT PRIMARY KEY, label TEXT NOT NULL);
         INSERT INTO items VALUES ('1', 'one'), ('01', 'zero one'), ('2', 'two');",
    )
    .unwrap();
    let bytes = db.bytes();
    let error = Item::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &error {
        Error::DuplicateKeys {
            column,
            sample_keys,
            ..
        } => {
            assert_eq!(column, "id");
            assert_eq!(sample_keys, &["'01', '1'"]);
        }
        other => panic!("expected DuplicateKeys, got {other:?}"),
    }
    assert!(
        error.to_string().contains("(each group: '01', '1')"),
        "{error}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}
