//! Odd but real shapes of legacy tables and of the connection that migrates them: generated
//! columns, TEMP objects shadowing the tables, triggers named like the legacy table, keys
//! that are not unique or not what the table's key type needs.

#![allow(dead_code)] // The structs declare tables; these tests never read their fields.

use wrkflw::{wrkflw_table, CopyPath, Error, KeyProblem, LegacyTable, Table};
use wrkflw_tests::{
    count, exists, migrated_keeping_legacy, mirror_differences, rows, DbFile, WorkflowRun,
};

/// Item 8: a legacy table with generated columns, virtual and stored.
#[wrkflw_table(rename_from = "orders")]
struct Order {
    #[wrkflw(primary_key)]
    id: String,
    quantity: i64,
    /// Generated (virtual) in the legacy table, a plain column here.
    total: i64,
}

#[test]
fn generated_legacy_columns_are_read_where_a_field_names_them_and_never_called_missing() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE orders (
           id TEXT PRIMARY KEY,
           quantity INTEGER NOT NULL,
           total INTEGER GENERATED ALWAYS AS (quantity * 3) VIRTUAL,
           label TEXT GENERATED ALWAYS AS ('order ' || id) STORED
         );
         INSERT INTO orders (id, quantity) VALUES ('a', 1), ('b', 2);",
    )
    .unwrap();
    let plan = Order::plan(&conn, LegacyTable::Keep).unwrap();
    assert!(plan.to_string().contains("quantity, total"), "{plan}");
    let report = Order::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.copy_path, Some(CopyPath::BulkInsert));
    assert!(report.defaulted_columns.is_empty(), "{report}");
    assert_eq!(report.legacy_only_columns, ["label"]);
    let totals = |conn: &wrkflw::rusqlite::Connection| -> Vec<(String, i64)> {
        conn.prepare("SELECT id, total FROM wrkflw_orders ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(totals(&conn), [("a".into(), 3), ("b".into(), 6)]);
    // The capture reads the generated value too, after any update of what it is made of.
    conn.execute_batch(
        "UPDATE orders SET quantity = 10 WHERE id = 'a'; INSERT INTO orders (id, quantity) VALUES ('c', 5);",
    )
    .unwrap();
    assert_eq!(
        totals(&conn),
        [("a".into(), 30), ("b".into(), 6), ("c".into(), 15)]
    );
}

/// Item 10: TEMP tables on the migrating connection named like the legacy table and like
/// the new table are never read, written or dropped in their place.
#[test]
fn temp_tables_named_like_the_tables_do_not_stand_in_for_them() {
    let db = DbFile::legacy(40);
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TEMP TABLE workflow_runs (run_id TEXT, note TEXT);
         INSERT INTO temp.workflow_runs VALUES ('temp-1', 'not a legacy row');
         CREATE TEMP TABLE wrkflw_workflow_runs (x);",
    )
    .unwrap();
    let before = rows(&conn, "main\".\"workflow_runs");
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!((report.rows_copied, report.legacy_dropped), (40, true));
    let main_rows = rows(&conn, "main\".\"wrkflw_workflow_runs");
    assert_eq!(main_rows, before);
    let temp_count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM temp.{table}"), [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(
        temp_count("workflow_runs"),
        1,
        "the TEMP table is untouched"
    );
    assert_eq!(temp_count("wrkflw_workflow_runs"), 0);
    let main_has_legacy: i64 = conn
        .query_row(
            "SELECT count(*) FROM main.sqlite_schema WHERE name = 'workflow_runs'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        main_has_legacy, 0,
        "main's legacy table was the one dropped"
    );
    let indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM main.sqlite_schema WHERE type = 'index' AND tbl_name = 'wrkflw_workflow_runs'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 3, "its indexes (and key index) are main's");
}

#[test]
fn the_capture_writes_mains_tables_even_from_a_connection_with_temp_twins() {
    let (db, conn) = migrated_keeping_legacy(10);
    let old = db.open();
    old.execute_batch(
        "CREATE TEMP TABLE wrkflw_workflow_runs (run_id, workflow_id, status);
         CREATE TEMP TABLE wrkflw_conflicts (x);",
    )
    .unwrap();
    old.execute(
        "INSERT INTO main.workflow_runs (run_id, workflow_id, status) VALUES ('x', 'w', 'pending')",
        [],
    )
    .unwrap();
    assert_eq!(mirror_differences(&conn), (0, 0));
}

/// Item 14: a trigger named like the legacy table is not taken for it.
#[test]
fn a_trigger_named_like_the_legacy_table_is_not_a_legacy_table() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE audit (x); CREATE TRIGGER workflow_runs AFTER INSERT ON audit BEGIN SELECT 1; END;",
    )
    .unwrap();
    let report = WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert!(report.table_created && !report.legacy_found, "{report}");
    assert!(exists(&conn, "workflow_runs"), "the trigger is still there");
}

#[wrkflw_table(rename_from = "counters")]
struct Counter {
    #[wrkflw(primary_key)]
    id: i64,
    value: i64,
}

/// Item 14: a text key in a legacy `INT PRIMARY KEY` column cannot go into an integer key;
/// the error names the column and the key, not just "datatype mismatch".
#[test]
fn a_key_the_integer_key_cannot_take_is_named_with_its_column() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE counters (id INT PRIMARY KEY, value INTEGER NOT NULL);
         INSERT INTO counters VALUES (1, 10), ('abc', 20), (2.5, 30), ('03', 40);",
    )
    .unwrap();
    let bytes = db.bytes();
    let error = Counter::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    match &error {
        Error::WrongType {
            table,
            legacy_table,
            column,
            expected,
            sample_keys,
        } => {
            assert_eq!(
                (table.as_str(), legacy_table.as_str(), column.as_str()),
                ("wrkflw_counters", "counters", "id")
            );
            assert_eq!(expected, "integers");
            let mut keys = sample_keys.clone();
            keys.sort();
            // '03' is stored as 3 by the legacy column's integer affinity, and 2.5 is no
            // integer either.
            assert_eq!(keys, ["'abc'", "2.5"]);
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("column `id` holds values that are not integers"),
        "{error}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

/// An `INTEGER PRIMARY KEY` turns an inserted NULL into the next number: a NULL legacy key
/// must be refused, never given a made-up id.
#[test]
fn a_null_legacy_key_is_never_given_a_made_up_integer_key() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE counters (id INT UNIQUE, value INTEGER NOT NULL);
         INSERT INTO counters VALUES (1, 10), (NULL, 20);",
    )
    .unwrap();
    let bytes = db.bytes();
    let error = Counter::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(&error, Error::RejectedRows { nulls, .. }
            if nulls.len() == 1 && nulls[0].column == "id" && nulls[0].sample_keys == ["NULL"]),
        "{error:?}"
    );
    drop(conn);
    assert_eq!(db.bytes(), bytes);
}

/// Item 4: a legacy table whose key is not unique cannot be kept beside the new table (the
/// capture finds legacy rows by key); dropping it after the copy works, and so does keeping
/// it once the key is made unique.
#[test]
fn a_legacy_key_that_is_not_unique_is_refused_for_keeping_and_named() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE counters (id INTEGER, value INTEGER NOT NULL);
         INSERT INTO counters VALUES (1, 10), (2, 20);",
    )
    .unwrap();
    let bytes = db.bytes();
    let error = Counter::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&error, Error::CannotCapture { legacy_table, column, problem, .. }
            if legacy_table == "counters" && column == "id"
                && *problem == KeyProblem::NotUnique { since_installed: false }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("CREATE UNIQUE INDEX ... ON counters (id)"),
        "{error}"
    );
    assert_eq!(db.bytes(), bytes);

    conn.execute_batch("CREATE UNIQUE INDEX counters_id ON counters (id)")
        .unwrap();
    let report = Counter::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 2);
    // With the index the old deployment cannot add a second row under one key.
    assert!(conn
        .execute("INSERT INTO counters VALUES (1, 11)", [])
        .is_err());

    // Dropped straight after the copy, no capture is needed, and duplicates are loud.
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE counters (id INTEGER, value INTEGER NOT NULL);
         INSERT INTO counters VALUES (1, 10), (2, 20), (2, 21);",
    )
    .unwrap();
    let error = Counter::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(&error, Error::DuplicateKeys { sample_keys, .. } if sample_keys == &["2, 2"]),
        "{error:?}"
    );
    conn.execute("DELETE FROM counters WHERE value = 21", [])
        .unwrap();
    let report = Counter::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!((report.rows_copied, report.legacy_dropped), (2, true));
    assert_eq!(count(&conn, "wrkflw_counters"), 2);
}

/// Two legacy keys that the table's integer key holds as one, found on a reconcile (the
/// first run over a table migrated without wrkflw).
#[test]
fn a_reconcile_refuses_two_legacy_keys_that_are_one_key_in_the_table() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE counters (id TEXT PRIMARY KEY, value INTEGER NOT NULL);
         INSERT INTO counters VALUES ('1', 10), ('01', 11), ('2', 20);
         CREATE TABLE wrkflw_counters (id INTEGER NOT NULL PRIMARY KEY, value INTEGER NOT NULL);
         INSERT INTO wrkflw_counters VALUES (1, 10), (2, 20);",
    )
    .unwrap();
    let error = Counter::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(&error, Error::DuplicateKeys { sample_keys, .. } if sample_keys == &["'01', '1'"]),
        "{error:?}"
    );
    assert!(exists(&conn, "counters"));
}

#[wrkflw_table(rename_from = "tags")]
struct Tag {
    #[wrkflw(primary_key)]
    name: String,
    uses: i64,
}

/// Review finding: a legacy key that compares without case holds `'a'` and `'A'` as one
/// key, the table's key as two: writes cannot be carried over by key, so keeping it is
/// refused; dropping it in the same run works.
#[test]
fn a_legacy_key_compared_without_case_is_not_captured() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE tags (name TEXT PRIMARY KEY COLLATE NOCASE, uses INTEGER NOT NULL);
         INSERT INTO tags VALUES ('a', 1), ('b', 2);",
    )
    .unwrap();
    let error = Tag::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&error, Error::CannotCapture { problem: KeyProblem::Collation { collation }, .. }
            if collation == "NOCASE"),
        "{error:?}"
    );
    let report = Tag::migrate(&mut conn, LegacyTable::Drop).unwrap();
    assert_eq!(report.rows_copied, 2);
}

/// A key an integer key cannot take, written by an old deployment after the migration,
/// is accepted into the legacy table as before and reported, never a failed write.
#[test]
fn a_key_written_later_that_the_integer_key_cannot_take_is_logged_and_named() {
    let db = DbFile::new();
    let mut conn = db.open();
    conn.execute_batch(
        "CREATE TABLE counters (id INT PRIMARY KEY, value INTEGER NOT NULL);
         INSERT INTO counters VALUES (1, 10);",
    )
    .unwrap();
    Counter::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute("INSERT INTO counters VALUES ('abc', 20)", [])
        .unwrap();
    conn.execute("INSERT INTO counters VALUES ('02', 30)", [])
        .unwrap();
    assert_eq!(count(&conn, "wrkflw_counters"), 2, "'02' is the integer 2");
    let error = Counter::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    assert!(
        matches!(&error, Error::WrongType { column, sample_keys, .. }
            if column == "id" && sample_keys == &["'abc'"]),
        "{error:?}"
    );
    assert!(exists(&conn, "counters"));
}
