//! Typed rows from the annotated struct: insert, upsert, update, get, delete, all, count,
//! `find_by_...` and `from_row`, on real files, with the statements they run readable as
//! constants.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wrkflw::{wrkflw_table, Error, LegacyTable, Table};
use wrkflw_tests::{migrated_keeping_legacy, seed, DbFile, WorkflowRun};

fn run(n: u64) -> WorkflowRun {
    let mut run = seed::legacy_run(n);
    run.run_id = format!("typed-{n}");
    run
}

#[test]
fn a_row_inserted_is_read_back_field_for_field() {
    let (_db, conn) = migrated_keeping_legacy(0);
    let row = run(1);
    row.insert(&conn).unwrap();
    assert_eq!(
        WorkflowRun::get(&conn, "typed-1").unwrap(),
        Some(row.clone())
    );
    assert_eq!(WorkflowRun::get(&conn, "nobody").unwrap(), None);
    assert_eq!(WorkflowRun::count(&conn).unwrap(), 1);
    assert_eq!(WorkflowRun::all(&conn).unwrap(), [row]);
}

#[test]
fn inserting_a_key_that_is_there_names_the_table_and_key() {
    let (_db, conn) = migrated_keeping_legacy(0);
    run(1).insert(&conn).unwrap();
    let error = run(1).insert(&conn).unwrap_err();
    assert!(
        matches!(&error, Error::KeyExists { table, key } if table == "wrkflw_workflow_runs" && key == "'typed-1'"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "cannot insert into `wrkflw_workflow_runs`: a row with key 'typed-1' is already there; update or upsert it instead"
    );
}

#[test]
fn update_upsert_and_delete_go_by_key_and_say_whether_a_row_was_there() {
    let (_db, conn) = migrated_keeping_legacy(3);
    let mut row = run(7);
    assert!(!row.update(&conn).unwrap(), "no such row yet");
    row.upsert(&conn).unwrap();
    row.status = "success".to_owned();
    row.result = Some("{\"ok\":true}".to_owned());
    assert!(row.update(&conn).unwrap());
    assert_eq!(
        WorkflowRun::get(&conn, "typed-7").unwrap(),
        Some(row.clone())
    );
    row.status = "failed".to_owned();
    row.upsert(&conn).unwrap();
    assert_eq!(
        WorkflowRun::get(&conn, "typed-7").unwrap().unwrap().status,
        "failed"
    );
    assert!(WorkflowRun::delete(&conn, "typed-7").unwrap());
    assert!(!WorkflowRun::delete(&conn, "typed-7").unwrap());
    assert_eq!(WorkflowRun::count(&conn).unwrap(), 3);
}

#[test]
fn finders_return_the_rows_of_an_indexed_column_in_key_order() {
    let (_db, conn) = migrated_keeping_legacy(200);
    let failed = WorkflowRun::find_by_status(&conn, "failed").unwrap();
    let expected: i64 = conn
        .query_row(
            "SELECT count(*) FROM wrkflw_workflow_runs WHERE status = 'failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(expected > 0);
    assert_eq!(failed.len() as i64, expected);
    assert!(failed.iter().all(|r| r.status == "failed"));
    assert!(failed.windows(2).all(|w| w[0].run_id < w[1].run_id));
    assert_eq!(
        WorkflowRun::FIND_BY_STATUS_SQL,
        "SELECT
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
FROM wrkflw_workflow_runs
WHERE status = ?1
ORDER BY run_id"
    );
}

/// A finder on an `Option` column: `None` finds the rows without a value, through the index.
#[wrkflw_table(name = "tagged")]
#[derive(Debug, Clone, PartialEq)]
struct Tagged {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(index)]
    tag: Option<String>,
}

#[test]
fn a_finder_on_an_option_column_finds_none_too() {
    let db = DbFile::new();
    let mut conn = db.open();
    Tagged::migrate(&mut conn, LegacyTable::Keep).unwrap();
    for (id, tag) in [
        (1, Some("a")),
        (2, None),
        (3, Some("a")),
        (4, None),
        (5, Some("b")),
    ] {
        Tagged {
            id,
            tag: tag.map(str::to_owned),
        }
        .insert(&conn)
        .unwrap();
    }
    let ids = |found: Vec<Tagged>| found.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(
        ids(Tagged::find_by_tag(&conn, None::<String>).unwrap()),
        [2, 4]
    );
    assert_eq!(ids(Tagged::find_by_tag(&conn, "a").unwrap()), [1, 3]);
    assert_eq!(ids(Tagged::find_by_tag(&conn, Some("b")).unwrap()), [5]);
    let plan: String = conn
        .query_row(
            &format!("EXPLAIN QUERY PLAN {}", Tagged::FIND_BY_TAG_SQL),
            [None::<String>],
            |r| r.get(3),
        )
        .unwrap();
    assert!(
        plan.contains("INDEX idx_wrkflw_tagged_tag (tag=?)"),
        "{plan}"
    );
}

#[test]
fn from_row_reads_by_name_from_any_select() {
    let (_db, conn) = migrated_keeping_legacy(5);
    let expected = WorkflowRun::all(&conn).unwrap();
    for sql in [
        "SELECT * FROM wrkflw_workflow_runs ORDER BY run_id",
        "SELECT updated_at, created_at, error, result, input_data, state, step_results,
                execution_path, status, workflow_id, run_id, 'extra' AS extra
         FROM wrkflw_workflow_runs ORDER BY run_id",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows: Vec<WorkflowRun> = stmt
            .query_map([], WorkflowRun::from_row)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, expected, "{sql}");
    }
}

/// The one rule for `None` in a field with a `default`: no value given, so the database
/// supplies it — the default on insert, the stored value on update and upsert.
#[test]
fn none_in_a_defaulted_field_takes_the_default_on_insert_and_keeps_the_stored_value_after() {
    let (_db, conn) = migrated_keeping_legacy(0);
    let mut row = run(1);
    row.created_at = None;
    row.updated_at = Some(42);
    row.insert(&conn).unwrap();
    let stored = WorkflowRun::get(&conn, "typed-1").unwrap().unwrap();
    let now: i64 = conn
        .query_row("SELECT unixepoch()", [], |r| r.get(0))
        .unwrap();
    let created = stored.created_at.expect("the default applied");
    assert!((now - 5..=now).contains(&created), "{created} vs {now}");
    assert_eq!(stored.updated_at, Some(42));

    // None keeps what is stored; Some replaces it.
    row.created_at = None;
    row.updated_at = None;
    row.status = "running".to_owned();
    assert!(row.update(&conn).unwrap());
    let after = WorkflowRun::get(&conn, "typed-1").unwrap().unwrap();
    assert_eq!(
        (after.created_at, after.updated_at, after.status.as_str()),
        (Some(created), Some(42), "running")
    );
    row.updated_at = Some(99);
    row.upsert(&conn).unwrap();
    let after = WorkflowRun::get(&conn, "typed-1").unwrap().unwrap();
    assert_eq!(
        (after.created_at, after.updated_at),
        (Some(created), Some(99))
    );
    assert!(
        WorkflowRun::INSERT_SQL.contains("coalesce(?10, unixepoch())"),
        "{}",
        WorkflowRun::INSERT_SQL
    );
    assert!(
        WorkflowRun::UPDATE_SQL.contains("created_at = coalesce(?10, created_at)"),
        "{}",
        WorkflowRun::UPDATE_SQL
    );
}

#[test]
fn rows_written_in_a_transaction_that_is_dropped_are_gone() {
    let (db, mut conn) = migrated_keeping_legacy(0);
    {
        let tx = conn.transaction().unwrap();
        run(1).insert(&tx).unwrap();
        assert_eq!(WorkflowRun::count(&tx).unwrap(), 1);
        // Dropped without commit: rolled back.
    }
    assert_eq!(WorkflowRun::count(&conn).unwrap(), 0);
    let tx = conn.transaction().unwrap();
    run(2).insert(&tx).unwrap();
    tx.commit().unwrap();
    assert!(WorkflowRun::get(&db.open(), "typed-2").unwrap().is_some());
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Retry {
    attempts: u32,
    backoff_ms: Vec<u64>,
}

/// JSON columns: any serde type; `None` (SQL NULL) and `Some(null)` (JSON text) apart.
#[wrkflw_table(name = "jobs")]
#[derive(Debug, Clone, PartialEq)]
struct Job {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(json)]
    path: Vec<i64>,
    #[wrkflw(json)]
    retry: Retry,
    #[wrkflw(json)]
    result: Option<Value>,
    #[wrkflw(json, default = "'{}'")]
    state: Option<Value>,
}

#[test]
fn json_columns_round_trip_and_null_stays_apart_from_no_value() {
    let db = DbFile::new();
    let mut conn = db.open();
    Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let retry = Retry {
        attempts: 3,
        backoff_ms: vec![100, 200],
    };
    let jobs = [
        (1, Some(Value::Null)),
        (2, None),
        (3, Some(json!(0))),
        (4, Some(json!(false))),
        (5, Some(json!(""))),
        (6, Some(json!({"items": [1, 2]}))),
    ];
    for (id, result) in jobs.clone() {
        Job {
            id,
            path: vec![0, 2, 1],
            retry: retry.clone(),
            result,
            state: Some(json!({"cursor": id})),
        }
        .insert(&conn)
        .unwrap();
    }
    for (id, result) in jobs {
        let job = Job::get(&conn, id).unwrap().unwrap();
        assert_eq!(job.result, result, "job {id}");
        assert_eq!(job.path, [0, 2, 1]);
        assert_eq!(job.retry, retry);
    }
    let stored: Vec<(Option<String>, String)> = conn
        .prepare("SELECT result, typeof(result) FROM wrkflw_jobs WHERE id IN (1, 2) ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        stored,
        [
            (Some("null".to_owned()), "text".to_owned()),
            (None, "null".to_owned())
        ]
    );
    // A JSON column with a default: None gives the default's JSON.
    Job {
        id: 7,
        path: vec![],
        retry: retry.clone(),
        result: None,
        state: None,
    }
    .insert(&conn)
    .unwrap();
    assert_eq!(Job::get(&conn, 7).unwrap().unwrap().state, Some(json!({})));
}

#[test]
fn a_value_that_does_not_decode_names_table_column_and_key() {
    let db = DbFile::new();
    let mut conn = db.open();
    Job::migrate(&mut conn, LegacyTable::Keep).unwrap();
    // Written by hand, past the typed API: text that is not JSON, and JSON of the wrong shape.
    conn.execute_batch(
        "INSERT INTO wrkflw_jobs (id, path, retry, result) VALUES
           (1, 'not json', '{\"attempts\":1,\"backoff_ms\":[]}', NULL),
           (2, '[1]', '{\"attempts\":-1,\"backoff_ms\":[]}', NULL);",
    )
    .unwrap();
    for (id, column, why) in [(1, "path", "expected"), (2, "retry", "invalid value")] {
        let error = Job::get(&conn, id).unwrap_err();
        match &error {
            Error::Decode {
                table,
                column: found,
                key,
                reason,
            } => {
                assert_eq!(
                    (table.as_str(), found.as_str(), key.as_deref()),
                    ("wrkflw_jobs", column, Some(id.to_string().as_str()))
                );
                assert!(reason.contains(why), "{reason}");
            }
            other => panic!("expected Decode, got {other:?}"),
        }
        assert!(
            error.to_string().starts_with(&format!(
                "cannot read `wrkflw_jobs`.`{column}` of the row with key {id}: "
            )),
            "{error}"
        );
    }
    // Reading every row stops at the first bad one, named; never a panic.
    assert!(matches!(Job::all(&conn), Err(Error::Decode { .. })));
}

/// Every supported type goes in and comes back, and a value of another storage class is a
/// typed error naming the column.
#[wrkflw_table(name = "every")]
#[derive(Debug, Clone, PartialEq)]
struct Every {
    #[wrkflw(primary_key)]
    text: String,
    big: i64,
    int: i32,
    small: i16,
    tiny: i8,
    unsigned: u32,
    unsigned_small: u16,
    byte: u8,
    flag: bool,
    double: f64,
    single: f32,
    bytes: Vec<u8>,
    maybe_text: Option<String>,
    maybe_int: Option<i64>,
}

#[test]
fn every_supported_type_round_trips_and_a_wrong_storage_class_is_named() {
    let db = DbFile::new();
    let mut conn = db.open();
    Every::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let row = Every {
        text: "k".into(),
        big: i64::MIN,
        int: i32::MAX,
        small: -7,
        tiny: i8::MIN,
        unsigned: u32::MAX,
        unsigned_small: u16::MAX,
        byte: 255,
        flag: true,
        double: 0.1,
        single: 1.5,
        bytes: vec![0, 255, 7],
        maybe_text: None,
        maybe_int: Some(0),
    };
    row.insert(&conn).unwrap();
    assert_eq!(Every::get(&conn, "k").unwrap(), Some(row));
    conn.execute(
        "UPDATE wrkflw_every SET tiny = 300, small = 'x' WHERE text = 'k'",
        [],
    )
    .unwrap();
    let error = Every::get(&conn, "k").unwrap_err();
    assert!(
        matches!(&error, Error::Decode { column, key, .. } if column == "small" && key.as_deref() == Some("'k'")),
        "{error:?}"
    );
    conn.execute("UPDATE wrkflw_every SET small = 1 WHERE text = 'k'", [])
        .unwrap();
    let error = Every::get(&conn, "k").unwrap_err();
    assert!(
        matches!(&error, Error::Decode { column, reason, .. } if column == "tiny" && reason.contains("300")),
        "{error:?}"
    );
}

#[test]
fn the_generated_statements_are_readable_constants() {
    assert_eq!(
        WorkflowRun::SELECT_SQL,
        "SELECT
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
FROM wrkflw_workflow_runs
WHERE run_id = ?1"
    );
    assert_eq!(
        WorkflowRun::DELETE_SQL,
        "DELETE FROM wrkflw_workflow_runs WHERE run_id = ?1"
    );
    assert_eq!(
        WorkflowRun::COUNT_SQL,
        "SELECT count(*) FROM wrkflw_workflow_runs"
    );
    assert!(WorkflowRun::UPSERT_SQL.starts_with(WorkflowRun::INSERT_SQL));
    assert!(WorkflowRun::UPSERT_SQL.contains("ON CONFLICT (run_id) DO UPDATE SET"));
    // Every statement is valid SQL for its table.
    let (_db, conn) = migrated_keeping_legacy(0);
    for sql in [
        WorkflowRun::INSERT_SQL,
        WorkflowRun::UPSERT_SQL,
        WorkflowRun::UPDATE_SQL,
        WorkflowRun::SELECT_SQL,
        WorkflowRun::SELECT_ALL_SQL,
        WorkflowRun::DELETE_SQL,
        WorkflowRun::COUNT_SQL,
        WorkflowRun::FIND_BY_WORKFLOW_ID_SQL,
        WorkflowRun::FIND_BY_STATUS_SQL,
    ] {
        conn.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
}
