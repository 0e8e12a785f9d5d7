//! Typed rows on PostgreSQL, as `rows.rs` on SQLite: insert, upsert, update, get, delete,
//! all, count, `pg_find_by_...` and `from_pg_row`, on a real server, with the same
//! semantics and the same errors.
//!
//! The tables are made with the generated DDL (`PG_CREATE_SQL`, `PG_INDEX_SQL`); migrating
//! is `postgres::migrate`'s concern and has tests of its own.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wrkflw::postgres::driver::Client;
use wrkflw::postgres::PgTable;
use wrkflw::{wrkflw_table, Error};
use wrkflw_tests::pg::PgDb;
use wrkflw_tests::{seed, WorkflowRun};

/// Creates `T`'s table and its indexes.
fn create<T: PgTable>(client: &mut Client) {
    client.batch_execute(T::PG_CREATE_SQL).unwrap();
    for index in T::PG_INDEX_SQL {
        client.batch_execute(index).unwrap();
    }
}

/// A database holding the seed's table with `rows` seed runs, written through the typed API.
fn runs(rows: u64) -> Option<(PgDb, Client)> {
    let db = PgDb::new()?;
    let mut client = db.client();
    create::<WorkflowRun>(&mut client);
    for n in 0..rows {
        seed::legacy_run(n).insert(&mut client).unwrap();
    }
    Some((db, client))
}

fn run(n: u64) -> WorkflowRun {
    let mut run = seed::legacy_run(n);
    run.run_id = format!("typed-{n}");
    run
}

#[test]
fn a_row_inserted_is_read_back_field_for_field() {
    let Some((_db, mut client)) = runs(0) else {
        return;
    };
    let row = run(1);
    row.insert(&mut client).unwrap();
    assert_eq!(
        WorkflowRun::get(&mut client, "typed-1").unwrap(),
        Some(row.clone())
    );
    assert_eq!(WorkflowRun::get(&mut client, "nobody").unwrap(), None);
    assert_eq!(WorkflowRun::count(&mut client).unwrap(), 1);
    assert_eq!(WorkflowRun::all(&mut client).unwrap(), [row]);
}

#[test]
fn inserting_a_key_that_is_there_names_the_table_and_key() {
    let Some((_db, mut client)) = runs(0) else {
        return;
    };
    run(1).insert(&mut client).unwrap();
    let error = run(1).insert(&mut client).unwrap_err();
    assert!(
        matches!(&error, Error::KeyExists { table, key } if table == "wrkflw_workflow_runs" && key == "'typed-1'"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "cannot insert into `wrkflw_workflow_runs`: a row with key 'typed-1' is already there; update or upsert it instead"
    );
    // A failed statement leaves the connection usable (no transaction was open).
    assert_eq!(WorkflowRun::count(&mut client).unwrap(), 1);
}

#[test]
fn update_upsert_and_delete_go_by_key_and_say_whether_a_row_was_there() {
    let Some((_db, mut client)) = runs(3) else {
        return;
    };
    let mut row = run(7);
    assert!(!row.update(&mut client).unwrap(), "no such row yet");
    row.upsert(&mut client).unwrap();
    row.status = "success".to_owned();
    row.result = Some("{\"ok\":true}".to_owned());
    assert!(row.update(&mut client).unwrap());
    assert_eq!(
        WorkflowRun::get(&mut client, "typed-7").unwrap(),
        Some(row.clone())
    );
    row.status = "failed".to_owned();
    row.upsert(&mut client).unwrap();
    assert_eq!(
        WorkflowRun::get(&mut client, "typed-7")
            .unwrap()
            .unwrap()
            .status,
        "failed"
    );
    assert!(WorkflowRun::delete(&mut client, "typed-7").unwrap());
    assert!(!WorkflowRun::delete(&mut client, "typed-7").unwrap());
    assert_eq!(WorkflowRun::count(&mut client).unwrap(), 3);
}

#[test]
fn finders_return_the_rows_of_an_indexed_column_in_key_order() {
    let Some((_db, mut client)) = runs(200) else {
        return;
    };
    let failed = WorkflowRun::pg_find_by_status(&mut client, "failed").unwrap();
    let expected: i64 = client
        .query_one(
            "SELECT count(*) FROM wrkflw_workflow_runs WHERE status = 'failed'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(expected > 0);
    assert_eq!(failed.len() as i64, expected);
    assert!(failed.iter().all(|r| r.status == "failed"));
    assert!(failed.windows(2).all(|w| w[0].run_id < w[1].run_id));
    // A `String` in hand works too.
    let status = String::from("failed");
    assert_eq!(
        WorkflowRun::pg_find_by_status(&mut client, &status).unwrap(),
        failed
    );
    assert!(WorkflowRun::pg_find_by_workflow_id(&mut client, "nobody's")
        .unwrap()
        .is_empty());
}

/// A finder on an `Option` column: `None` finds the rows without a value.
#[wrkflw_table(name = "tagged")]
#[derive(Debug, Clone, PartialEq)]
struct Tagged {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(index)]
    tag: Option<String>,
    #[wrkflw(unique)]
    code: Option<u16>,
}

#[test]
fn a_finder_on_an_option_column_finds_none_too_through_the_index() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create::<Tagged>(&mut client);
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
            code: (id % 2 == 1).then_some(id as u16 * 100),
        }
        .insert(&mut client)
        .unwrap();
    }
    let ids = |found: Vec<Tagged>| found.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(
        ids(Tagged::pg_find_by_tag(&mut client, None).unwrap()),
        [2, 4]
    );
    assert_eq!(
        ids(Tagged::pg_find_by_tag(&mut client, "a").unwrap()),
        [1, 3]
    );
    assert_eq!(
        ids(Tagged::pg_find_by_tag(&mut client, Some("b")).unwrap()),
        [5]
    );
    // A unique index finds at most one row; `None` finds nothing, as on SQLite.
    assert_eq!(
        Tagged::pg_find_by_code(&mut client, 300u16)
            .unwrap()
            .map(|t| t.id),
        Some(3)
    );
    assert_eq!(Tagged::pg_find_by_code(&mut client, 7u16).unwrap(), None);
    assert_eq!(Tagged::pg_find_by_code(&mut client, None).unwrap(), None);

    // Planned with the value bound, both forms are index scans.
    client.batch_execute("SET enable_seqscan = off").unwrap();
    for value in [None, Some("a")] {
        let plan: Vec<String> = client
            .query(
                &format!("EXPLAIN {}", Tagged::PG_FIND_BY_TAG_SQL),
                &[&value],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("idx_wrkflw_tagged_tag"), "{value:?}: {plan}");
    }
}

/// Finders over several columns take each column's own type: `3` is an `i64` for an `i64`
/// column, `2u8` a `u8`.
#[wrkflw_table(name = "steps", index(run_id, attempt), unique(run_id, position))]
#[derive(Debug, Clone, PartialEq)]
struct Step {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(primary_key)]
    step_id: i64,
    attempt: u8,
    position: i64,
    output: Option<String>,
}

#[test]
fn composite_keys_are_tuples_and_a_taken_one_is_named_as_one() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create::<Step>(&mut client);
    for run in ["r1", "r2"] {
        for step_id in 1..=3 {
            Step {
                run_id: run.to_owned(),
                step_id,
                attempt: (step_id % 2) as u8,
                position: step_id * 10,
                output: None,
            }
            .insert(&mut client)
            .unwrap();
        }
    }
    let mut step = Step::get(&mut client, ("r1", 2)).unwrap().unwrap();
    assert_eq!((step.attempt, step.position), (0, 20));
    step.output = Some("changed".into());
    assert!(step.update(&mut client).unwrap());
    assert_eq!(
        Step::get(&mut client, ("r1".to_owned(), 2i64)).unwrap(),
        Some(step.clone())
    );
    assert_eq!(
        Step::get(&mut client, ("r2", 2)).unwrap().unwrap().output,
        None,
        "only that row changed"
    );
    let error = step.insert(&mut client).unwrap_err();
    match &error {
        Error::KeyExists { table, key } => {
            assert_eq!(
                (table.as_str(), key.as_str()),
                ("wrkflw_steps", "('r1', 2)")
            );
        }
        other => panic!("expected KeyExists, got {other:?}"),
    }
    let found: Vec<i64> = Step::pg_find_by_run_id_and_attempt(&mut client, "r1", 1u8)
        .unwrap()
        .into_iter()
        .map(|s| s.step_id)
        .collect();
    assert_eq!(found, [1, 3]);
    assert_eq!(
        Step::pg_find_by_run_id_and_position(&mut client, "r2", 30)
            .unwrap()
            .map(|s| s.step_id),
        Some(3)
    );
    assert!(Step::delete(&mut client, ("r1", 2)).unwrap());
    assert!(!Step::delete(&mut client, ("r1", 2)).unwrap());
    assert_eq!(Step::count(&mut client).unwrap(), 5);

    // Another unique index than the key: PostgreSQL's error, named by table and action.
    let clash = Step {
        run_id: "r2".into(),
        step_id: 9,
        attempt: 0,
        position: 10,
        output: None,
    };
    let error = clash.insert(&mut client).unwrap_err();
    assert!(
        matches!(&error, Error::PgRows { table, action: "insert", source }
            if table == "wrkflw_steps"
                && source.as_db_error().and_then(|e| e.constraint())
                    == Some("uq_wrkflw_steps_run_id_position")),
        "{error:?}"
    );
}

#[test]
fn from_pg_row_reads_by_name_from_any_select() {
    let Some((_db, mut client)) = runs(5) else {
        return;
    };
    let expected = WorkflowRun::all(&mut client).unwrap();
    for sql in [
        "SELECT * FROM wrkflw_workflow_runs ORDER BY run_id",
        "SELECT updated_at, created_at, error, result, input_data, state, step_results,
                execution_path, status, workflow_id, run_id, 'extra' AS extra
         FROM wrkflw_workflow_runs ORDER BY run_id",
    ] {
        let rows: Vec<WorkflowRun> = client
            .query(sql, &[])
            .unwrap()
            .iter()
            .map(WorkflowRun::from_pg_row)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, expected, "{sql}");
    }
    // A select that lacks a column names it.
    let row = client
        .query_one("SELECT run_id FROM wrkflw_workflow_runs LIMIT 1", &[])
        .unwrap();
    let error = WorkflowRun::from_pg_row(&row).unwrap_err();
    assert!(
        matches!(&error, Error::Decode { table, column, .. } if table == "wrkflw_workflow_runs" && column == "workflow_id"),
        "{error:?}"
    );
}

/// The one rule for `None` in a field with a `default`, as on SQLite: no value given, so the
/// database supplies it — the default on insert, the stored value on update and upsert.
#[test]
fn none_in_a_defaulted_field_takes_the_default_on_insert_and_keeps_the_stored_value_after() {
    let Some((_db, mut client)) = runs(0) else {
        return;
    };
    let mut row = run(1);
    row.created_at = None;
    row.updated_at = Some(42);
    row.insert(&mut client).unwrap();
    let stored = WorkflowRun::get(&mut client, "typed-1").unwrap().unwrap();
    let now: i64 = client
        .query_one("SELECT floor(extract(epoch from now()))::bigint", &[])
        .unwrap()
        .get(0);
    let created = stored.created_at.expect("the default applied");
    assert!((now - 5..=now).contains(&created), "{created} vs {now}");
    assert_eq!(stored.updated_at, Some(42));

    row.created_at = None;
    row.updated_at = None;
    row.status = "running".to_owned();
    assert!(row.update(&mut client).unwrap());
    let after = WorkflowRun::get(&mut client, "typed-1").unwrap().unwrap();
    assert_eq!(
        (after.created_at, after.updated_at, after.status.as_str()),
        (Some(created), Some(42), "running")
    );
    row.updated_at = Some(99);
    row.upsert(&mut client).unwrap();
    let after = WorkflowRun::get(&mut client, "typed-1").unwrap().unwrap();
    assert_eq!(
        (after.created_at, after.updated_at),
        (Some(created), Some(99))
    );
}

#[test]
fn rows_written_in_a_transaction_that_is_dropped_are_gone() {
    let Some((db, mut client)) = runs(0) else {
        return;
    };
    {
        let mut tx = client.transaction().unwrap();
        run(1).insert(&mut tx).unwrap();
        assert_eq!(WorkflowRun::count(&mut tx).unwrap(), 1);
        // Dropped without commit: rolled back.
    }
    assert_eq!(WorkflowRun::count(&mut client).unwrap(), 0);
    let mut tx = client.transaction().unwrap();
    run(2).insert(&mut tx).unwrap();
    tx.commit().unwrap();
    assert!(WorkflowRun::get(&mut db.client(), "typed-2")
        .unwrap()
        .is_some());
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Retry {
    attempts: u32,
    backoff_ms: Vec<u64>,
}

/// JSON columns: any serde type, in JSONB; `None` (SQL NULL) and `Some(null)` (JSON null)
/// apart.
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
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create::<Job>(&mut client);
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
        .insert(&mut client)
        .unwrap();
    }
    for (id, result) in jobs {
        let job = Job::get(&mut client, id).unwrap().unwrap();
        assert_eq!(job.result, result, "job {id}");
        assert_eq!(job.path, [0, 2, 1]);
        assert_eq!(job.retry, retry);
    }
    let stored: Vec<(Option<String>, Option<String>)> = client
        .query(
            "SELECT result::text, jsonb_typeof(result) FROM wrkflw_jobs WHERE id IN (1, 2) ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        stored,
        [
            (Some("null".to_owned()), Some("null".to_owned())),
            (None, None)
        ]
    );
    // JSONB, so the server can look inside.
    let cursor: i64 = client
        .query_one(
            "SELECT (state->>'cursor')::bigint FROM wrkflw_jobs WHERE id = 6",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cursor, 6);
    // A JSON column with a default: None gives the default's JSON.
    Job {
        id: 7,
        path: vec![],
        retry: retry.clone(),
        result: None,
        state: None,
    }
    .insert(&mut client)
    .unwrap();
    assert_eq!(
        Job::get(&mut client, 7).unwrap().unwrap().state,
        Some(json!({}))
    );
}

#[test]
fn json_that_does_not_decode_names_table_column_and_key() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create::<Job>(&mut client);
    // Written by hand, past the typed API: JSON of the wrong shape.
    client
        .batch_execute(
            "INSERT INTO wrkflw_jobs (id, path, retry, result) VALUES
               (1, '{\"not\": \"a list\"}', '{\"attempts\":1,\"backoff_ms\":[]}', NULL),
               (2, '[1]', '{\"attempts\":-1,\"backoff_ms\":[]}', NULL);",
        )
        .unwrap();
    for (id, column, why) in [(1, "path", "invalid type"), (2, "retry", "invalid value")] {
        let error = Job::get(&mut client, id).unwrap_err();
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
    assert!(matches!(Job::all(&mut client), Err(Error::Decode { .. })));
}

/// Every supported type goes in and comes back at its extremes, each integer in the
/// PostgreSQL type that holds all of its values.
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
    maybe_unsigned: Option<u32>,
}

#[test]
fn every_integer_type_round_trips_at_its_extremes() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create::<Every>(&mut client);
    let lowest = Every {
        text: "min".into(),
        big: i64::MIN,
        int: i32::MIN,
        small: i16::MIN,
        tiny: i8::MIN,
        unsigned: u32::MIN,
        unsigned_small: u16::MIN,
        byte: u8::MIN,
        flag: false,
        double: f64::MIN,
        single: f32::MIN,
        bytes: vec![],
        maybe_text: None,
        maybe_int: Some(i64::MIN),
        maybe_unsigned: Some(0),
    };
    let highest = Every {
        text: "max".into(),
        big: i64::MAX,
        int: i32::MAX,
        small: i16::MAX,
        tiny: i8::MAX,
        unsigned: u32::MAX,
        unsigned_small: u16::MAX,
        byte: u8::MAX,
        flag: true,
        double: f64::MAX,
        single: f32::MAX,
        bytes: vec![0, 255, 7],
        maybe_text: Some(String::new()),
        maybe_int: None,
        maybe_unsigned: Some(u32::MAX),
    };
    lowest.insert(&mut client).unwrap();
    highest.insert(&mut client).unwrap();
    assert_eq!(Every::get(&mut client, "min").unwrap(), Some(lowest));
    assert_eq!(
        Every::get(&mut client, "max").unwrap(),
        Some(highest.clone())
    );
    // Stored as the number itself, not wrapped: the server compares them as numbers.
    let (unsigned, byte, unsigned_small): (i64, i16, i32) = client
        .query_one(
            "SELECT unsigned, byte, unsigned_small FROM wrkflw_every WHERE text = 'max'",
            &[],
        )
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!(
        (unsigned, byte, unsigned_small),
        (4_294_967_295, 255, 65_535)
    );
    highest.upsert(&mut client).unwrap();
    assert_eq!(Every::count(&mut client).unwrap(), 2);
}

#[test]
fn a_stored_value_that_does_not_fit_its_field_names_table_column_and_key() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create::<Every>(&mut client);
    Every {
        text: "k".into(),
        big: 0,
        int: 0,
        small: 0,
        tiny: 0,
        unsigned: 0,
        unsigned_small: 0,
        byte: 0,
        flag: false,
        double: 0.0,
        single: 0.0,
        bytes: vec![],
        maybe_text: None,
        maybe_int: None,
        maybe_unsigned: None,
    }
    .insert(&mut client)
    .unwrap();
    for (sql, column, why) in [
        (
            "UPDATE wrkflw_every SET tiny = 300",
            "tiny",
            "300 does not fit in i8",
        ),
        (
            "UPDATE wrkflw_every SET tiny = 0, byte = -1",
            "byte",
            "-1 does not fit in u8",
        ),
        (
            "UPDATE wrkflw_every SET byte = 0, unsigned = -5",
            "unsigned",
            "-5 does not fit in u32",
        ),
        (
            "UPDATE wrkflw_every SET unsigned = 0, unsigned_small = 70000",
            "unsigned_small",
            "70000 does not fit in u16",
        ),
        (
            "UPDATE wrkflw_every SET unsigned_small = 0;
             ALTER TABLE wrkflw_every ALTER COLUMN int DROP NOT NULL;
             UPDATE wrkflw_every SET int = NULL",
            "int",
            "it is NULL but the field is not an Option",
        ),
    ] {
        client.batch_execute(sql).unwrap();
        let error = Every::get(&mut client, "k").unwrap_err();
        match &error {
            Error::Decode {
                table,
                column: found,
                key,
                reason,
            } => {
                assert_eq!(
                    (table.as_str(), found.as_str(), key.as_deref()),
                    ("wrkflw_every", column, Some("'k'")),
                    "{sql}"
                );
                assert_eq!(reason, why, "{sql}");
            }
            other => panic!("{sql}: expected Decode, got {other:?}"),
        }
        assert!(
            error.to_string().starts_with(&format!(
                "cannot read `wrkflw_every`.`{column}` of the row with key 'k': "
            )),
            "{error}"
        );
    }
}
