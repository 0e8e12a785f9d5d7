//! `wrkflw::storage`: the original library's workflow storage on real files, interoperable
//! with what the original wrote and reads.

use std::sync::Arc;

use serde_json::{json, Value};
use wrkflw::storage::{Cursor, RunStatus, WorkflowSnapshot, WorkflowStorage};
use wrkflw::{Error, OnConflict};
use wrkflw_tests::{count, seed, DbFile};

fn snapshot(run_id: &str, workflow_id: &str, status: RunStatus) -> WorkflowSnapshot {
    WorkflowSnapshot {
        run_id: run_id.to_owned(),
        workflow_id: workflow_id.to_owned(),
        status,
        execution_path: vec![0, 1, 3],
        step_results: json!({"fetch": {"ok": true, "rows": 12}}),
        state: json!({"cursor": 7, "locale": "en-GB"}),
        input_data: json!({"customer": "cus_1", "amount": 12.5}),
        result: None,
        error: None,
        updated_at: 0,
    }
}

/// A file as the original library left it: its exact DDL, JSON text, NULL where it wrote an
/// undefined value, and a status a newer version of it writes.
fn original_file() -> DbFile {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch(seed::LEGACY_SCHEMA_SQL).unwrap();
    conn.execute_batch(
        "INSERT INTO workflow_runs VALUES
           ('r1', 'invoice', 'success', '[0,1]', '{\"a\":{\"ok\":true}}', '{\"n\":1}', '{\"id\":5}', '{\"total\":3}', NULL, 100, 200),
           ('r2', 'invoice', 'failed', '[0]', NULL, NULL, NULL, NULL, '{\"message\":\"boom\"}', 110, 300),
           ('r3', 'report', 'paused', '[]', '{}', '{}', '{}', NULL, NULL, 120, 250);",
    )
    .unwrap();
    db
}

#[test]
fn a_database_the_original_wrote_is_readable_at_once() {
    let db = original_file();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    let r1 = storage.load_snapshot("r1").unwrap().unwrap();
    assert_eq!(
        r1,
        WorkflowSnapshot {
            run_id: "r1".into(),
            workflow_id: "invoice".into(),
            status: RunStatus::Success,
            execution_path: vec![0, 1],
            step_results: json!({"a": {"ok": true}}),
            state: json!({"n": 1}),
            input_data: json!({"id": 5}),
            result: Some(json!({"total": 3})),
            error: None,
            updated_at: 200,
        }
    );
    // NULL where the original wrote undefined reads as JSON null.
    let r2 = storage.load_snapshot("r2").unwrap().unwrap();
    assert_eq!(
        (r2.step_results, r2.state, r2.input_data, r2.result),
        (Value::Null, Value::Null, Value::Null, None)
    );
    assert_eq!(r2.error.as_deref(), Some("{\"message\":\"boom\"}"));
    // A status this version does not know is kept, not an error for every list.
    let all: Vec<(String, RunStatus)> = storage
        .list_runs(None)
        .unwrap()
        .into_iter()
        .map(|r| (r.run_id, r.status))
        .collect();
    assert_eq!(
        all,
        [
            ("r2".to_owned(), RunStatus::Failed),
            ("r3".to_owned(), RunStatus::Other("paused".into())),
            ("r1".to_owned(), RunStatus::Success),
        ]
    );
    // The legacy table is kept, and the original's writes to it still arrive.
    let conn = db.open();
    conn.execute(
        "INSERT INTO workflow_runs (run_id, workflow_id, status, execution_path) VALUES ('r4', 'report', 'running', '[0]')",
        [],
    )
    .unwrap();
    assert_eq!(
        storage.load_snapshot("r4").unwrap().unwrap().status,
        RunStatus::Running
    );
}

#[test]
fn what_is_saved_is_loaded_every_field_and_the_database_stamps_it() {
    let db = DbFile::new();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    let mut run = snapshot("run-1", "nightly", RunStatus::Running);
    run.updated_at = 12_345; // ignored: the database sets it
    storage.save_snapshot(&run).unwrap();
    let loaded = storage.load_snapshot("run-1").unwrap().unwrap();
    let now: i64 = db
        .open()
        .query_row("SELECT unixepoch()", [], |r| r.get(0))
        .unwrap();
    assert!(
        (now - 5..=now).contains(&loaded.updated_at),
        "{}",
        loaded.updated_at
    );
    assert_eq!(
        loaded,
        WorkflowSnapshot {
            updated_at: loaded.updated_at,
            ..run.clone()
        }
    );
    // Saving again updates every field, keeps created_at.
    run.status = RunStatus::Failed;
    run.execution_path.push(4);
    run.error = Some("timed out".into());
    storage.save_snapshot(&run).unwrap();
    let again = storage.load_snapshot("run-1").unwrap().unwrap();
    assert_eq!(
        again,
        WorkflowSnapshot {
            updated_at: again.updated_at,
            ..run
        }
    );
    assert!(storage.delete_run("run-1").unwrap());
    assert!(!storage.delete_run("run-1").unwrap());
    assert_eq!(storage.load_snapshot("run-1").unwrap(), None);
}

/// The original stored falsy results as NULL; here every result round-trips.
#[test]
fn falsy_and_null_results_round_trip() {
    let db = DbFile::new();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    let results = [
        Some(json!(0)),
        Some(json!(false)),
        Some(json!("")),
        Some(Value::Null),
        Some(json!([])),
        None,
    ];
    for (i, result) in results.iter().enumerate() {
        let mut run = snapshot(&format!("r{i}"), "w", RunStatus::Success);
        run.result = result.clone();
        storage.save_snapshot(&run).unwrap();
    }
    // Read back by another storage on the same file, from what is on disk.
    drop(storage);
    let storage = WorkflowStorage::open(db.path()).unwrap();
    for (i, result) in results.iter().enumerate() {
        let loaded = storage.load_snapshot(&format!("r{i}")).unwrap().unwrap();
        assert_eq!(&loaded.result, result, "result {i}");
    }
}

#[test]
fn rows_saved_here_read_as_the_original_reads_them() {
    let db = DbFile::new();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    let mut run = snapshot("run-9", "report", RunStatus::Failed);
    run.result = Some(json!({"items": 2}));
    storage.save_snapshot(&run).unwrap();
    // Same table, same columns; JSON as text, the status as the original's string, the
    // timestamp in unix seconds.
    let conn = db.open();
    let (path, steps, state, input, result, status, updated, kind): (
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
        String,
    ) = conn
        .query_row(
            "SELECT execution_path, step_results, state, input_data, result, status, updated_at,
                    typeof(execution_path)
             FROM wrkflw_workflow_runs WHERE run_id = 'run-9'",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(kind, "text");
    assert_eq!(
        serde_json::from_str::<Vec<i64>>(&path).unwrap(),
        run.execution_path
    );
    assert_eq!(
        serde_json::from_str::<Value>(&steps).unwrap(),
        run.step_results
    );
    assert_eq!(serde_json::from_str::<Value>(&state).unwrap(), run.state);
    assert_eq!(
        serde_json::from_str::<Value>(&input).unwrap(),
        run.input_data
    );
    assert_eq!(
        serde_json::from_str::<Value>(&result).unwrap(),
        json!({"items": 2})
    );
    assert_eq!(status, "failed");
    assert!(updated > 1_700_000_000);
}

#[test]
fn lists_come_newest_first_filtered_by_workflow_and_status() {
    let db = DbFile::new();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    for (id, workflow, status) in [
        ("a", "w1", RunStatus::Running),
        ("b", "w1", RunStatus::Failed),
        ("c", "w2", RunStatus::Failed),
        ("d", "w1", RunStatus::Failed),
    ] {
        storage
            .save_snapshot(&snapshot(id, workflow, status))
            .unwrap();
    }
    // Spread the stamps so the order is by updated_at, not by chance.
    db.open()
        .execute_batch(
            "UPDATE wrkflw_workflow_runs SET updated_at = CASE run_id
               WHEN 'a' THEN 40 WHEN 'b' THEN 10 WHEN 'c' THEN 30 ELSE 20 END",
        )
        .unwrap();
    let ids = |runs: Vec<WorkflowSnapshot>| runs.into_iter().map(|r| r.run_id).collect::<Vec<_>>();
    assert_eq!(ids(storage.list_runs(None).unwrap()), ["a", "c", "d", "b"]);
    assert_eq!(ids(storage.list_runs(Some("w1")).unwrap()), ["a", "d", "b"]);
    assert_eq!(
        ids(storage.runs_by_status(RunStatus::Failed, None).unwrap()),
        ["c", "d", "b"]
    );
    assert_eq!(
        ids(storage
            .runs_by_status(RunStatus::Failed, Some("w1"))
            .unwrap()),
        ["d", "b"]
    );
    assert!(storage
        .runs_by_status(RunStatus::Success, None)
        .unwrap()
        .is_empty());
}

#[test]
fn pages_cover_every_run_once_even_when_stamps_tie() {
    let db = DbFile::new();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    for i in 0..23 {
        storage
            .save_snapshot(&snapshot(&format!("run-{i:02}"), "w", RunStatus::Running))
            .unwrap();
    }
    // Three stamps for 23 runs: most ties are broken by run_id.
    db.open()
        .execute_batch("UPDATE wrkflw_workflow_runs SET updated_at = 100 + CAST(substr(run_id, 5) AS INTEGER) % 3")
        .unwrap();
    let mut seen = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = storage
            .list_runs_page(Some("w"), after.as_ref(), 5)
            .unwrap();
        assert!(page.runs.len() <= 5);
        seen.extend(page.runs.iter().map(|r| (r.updated_at, r.run_id.clone())));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let all: Vec<(i64, String)> = storage
        .list_runs(Some("w"))
        .unwrap()
        .into_iter()
        .map(|r| (r.updated_at, r.run_id))
        .collect();
    assert_eq!(seen, all, "every run once, in the lists' order");
    assert_eq!(seen.len(), 23);
}

#[test]
fn a_page_reads_along_an_index_without_sorting() {
    let db = DbFile::new();
    let _storage = WorkflowStorage::open(db.path()).unwrap();
    let conn = db.open();
    for by_status in [false, true] {
        for by_workflow in [false, true] {
            for after_cursor in [false, true] {
                let sql = WorkflowStorage::page_sql(by_status, by_workflow, after_cursor);
                let plan: Vec<String> = conn
                    .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .unwrap()
                    .query_map([1, 2, 3, 4, 5], |r| r.get::<_, String>(3))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let plan = plan.join("; ");
                // With both filters either of their indexes serves.
                let indexes: &[&str] = match (by_status, by_workflow) {
                    (false, false) => &["idx_wrkflw_workflow_runs_newest"],
                    (true, false) => &["idx_wrkflw_workflow_runs_status_newest"],
                    (false, true) => &["idx_wrkflw_workflow_runs_workflow_id_newest"],
                    (true, true) => &[
                        "idx_wrkflw_workflow_runs_status_newest",
                        "idx_wrkflw_workflow_runs_workflow_id_newest",
                    ],
                };
                assert!(
                    indexes.iter().any(|index| plan.contains(index)),
                    "{sql}: {plan}"
                );
                assert!(!plan.contains("TEMP B-TREE"), "{sql} sorts: {plan}");
            }
        }
    }
}

/// The original's table allows a NULL `updated_at`: such a run reads as 0, lists last, and
/// paging reaches it like any other run.
#[test]
fn runs_with_no_updated_at_are_paged_too() {
    let db = DbFile::new();
    db.open()
        .execute_batch(&format!(
            "{}
             INSERT INTO workflow_runs (run_id, workflow_id, status, execution_path, updated_at)
             VALUES ('a', 'w', 'running', '[]', 100), ('b', 'w', 'running', '[]', NULL),
                    ('c', 'w', 'failed', '[]', NULL), ('d', 'w', 'running', '[]', 0),
                    ('e', 'w', 'running', '[]', NULL);",
            seed::LEGACY_SCHEMA_SQL
        ))
        .unwrap();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    let listed: Vec<(i64, String)> = storage
        .list_runs(Some("w"))
        .unwrap()
        .into_iter()
        .map(|r| (r.updated_at, r.run_id))
        .collect();
    let expected: Vec<(i64, String)> = [(100, "a"), (0, "b"), (0, "c"), (0, "d"), (0, "e")]
        .into_iter()
        .map(|(at, id)| (at, id.to_owned()))
        .collect();
    assert_eq!(listed, expected);
    for limit in [1, 2] {
        let mut paged = Vec::new();
        let mut after: Option<Cursor> = None;
        loop {
            let page = storage
                .list_runs_page(Some("w"), after.as_ref(), limit)
                .unwrap();
            paged.extend(page.runs.into_iter().map(|r| (r.updated_at, r.run_id)));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, expected, "pages of {limit}");
    }
    let mut failed = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = storage
            .runs_by_status_page(RunStatus::Failed, None, after.as_ref(), 1)
            .unwrap();
        failed.extend(page.runs.into_iter().map(|r| r.run_id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(failed, ["c"]);
}

/// A file where an old deployment, still writing the legacy table, started a run under the
/// id `c` that the new application had already saved: two runs of one key, logged by the
/// capture.
fn conflicted_file() -> DbFile {
    let db = DbFile::new();
    db.open().execute_batch(seed::LEGACY_SCHEMA_SQL).unwrap();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    storage
        .save_snapshot(&snapshot("c", "w", RunStatus::Running))
        .unwrap();
    drop(storage);
    db.open()
        .execute_batch(
            "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('c', 'w', 'success')",
        )
        .unwrap();
    db
}

/// Two runs of one key stop the next `open`, which names the key and changes nothing;
/// `open_with` settles it as the application chooses, and `open` works again after.
#[test]
fn a_conflict_stops_open_and_open_with_settles_it() {
    let db = conflicted_file();
    let before = db.bytes();
    match WorkflowStorage::open(db.path()) {
        Err(Error::Conflicts { sample_keys, .. }) => assert_eq!(sample_keys, ["'c'"]),
        other => panic!("expected Conflicts, got {other:?}"),
    }
    assert!(before == db.bytes(), "a refused open changes nothing");
    let storage = WorkflowStorage::open_with(db.path(), OnConflict::KeepTable).unwrap();
    assert_eq!(
        storage.load_snapshot("c").unwrap().unwrap().status,
        RunStatus::Running,
        "the table's run was kept"
    );
    drop(storage);
    WorkflowStorage::open(db.path()).expect("settled once, open works again");

    let db = conflicted_file();
    let storage = WorkflowStorage::open_with(db.path(), OnConflict::TakeLegacy).unwrap();
    assert_eq!(
        storage.load_snapshot("c").unwrap().unwrap().status,
        RunStatus::Success,
        "the legacy run was taken"
    );
    drop(storage);
    WorkflowStorage::open(db.path()).expect("settled once, open works again");
}

/// `with_connection` keeps the application's busy timeout: a save under another
/// connection's write lock waits as long as the application said, not the storage's 5 s.
#[test]
fn with_connection_keeps_the_applications_busy_timeout() {
    let db = DbFile::new();
    let conn = db.open();
    conn.busy_timeout(std::time::Duration::from_millis(200))
        .unwrap();
    let storage = WorkflowStorage::with_connection(conn).unwrap();
    let blocker = db.open();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let error = storage
        .save_snapshot(&snapshot("r1", "w", RunStatus::Running))
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(150)
            && waited < std::time::Duration::from_secs(2),
        "waited {waited:?}: not the application's 200 ms"
    );
    assert!(
        error.to_string().contains("wrkflw_workflow_runs"),
        "{error}"
    );
    blocker.execute_batch("ROLLBACK").unwrap();
    storage
        .save_snapshot(&snapshot("r1", "w", RunStatus::Running))
        .unwrap();
}

#[test]
fn a_value_that_does_not_decode_names_its_column() {
    let db = original_file();
    let storage = WorkflowStorage::open(db.path()).unwrap();
    db.open()
        .execute(
            "UPDATE wrkflw_workflow_runs SET state = '{broken' WHERE run_id = 'r1'",
            [],
        )
        .unwrap();
    let error = storage.load_snapshot("r1").unwrap_err();
    assert!(
        matches!(&error, Error::Decode { column, key, .. } if column == "state" && key.as_deref() == Some("'r1'")),
        "{error:?}"
    );
}

#[test]
fn eight_threads_saving_and_loading_at_once_lose_nothing() {
    fn shared<T: Send + Sync>(_: &T) {}
    let db = DbFile::new();
    let storage = Arc::new(WorkflowStorage::open(db.path()).unwrap());
    shared(&*storage);
    let handles: Vec<_> = (0..8)
        .map(|thread| {
            let storage = Arc::clone(&storage);
            std::thread::spawn(move || {
                for i in 0..100 {
                    let mut run = snapshot(&format!("t{thread}-{i}"), "w", RunStatus::Running);
                    run.state = json!({"thread": thread, "i": i});
                    storage.save_snapshot(&run).unwrap();
                    run.status = RunStatus::Success;
                    storage.save_snapshot(&run).unwrap();
                    let loaded = storage.load_snapshot(&run.run_id).unwrap().unwrap();
                    assert_eq!(loaded.state, run.state);
                    assert_eq!(loaded.status, RunStatus::Success);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("no thread failed");
    }
    assert_eq!(count(&db.open(), "wrkflw_workflow_runs"), 800);
    let mode: String = db
        .open()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // And a second process-like storage on the same file sees it all.
    let other = WorkflowStorage::open(db.path()).unwrap();
    assert_eq!(
        other
            .runs_by_status(RunStatus::Success, Some("w"))
            .unwrap()
            .len(),
        800
    );
}
