//! `wrkflw::postgres::PgWorkflowStorage`: the original library's workflow storage on a
//! PostgreSQL server, with the promises `storage.rs` checks on SQLite.

use std::sync::Arc;

use serde_json::{json, Value};
use wrkflw::postgres::PgWorkflowStorage;
use wrkflw::storage::{Cursor, RunStatus, WorkflowSnapshot};
use wrkflw::{Error, OnConflict};
use wrkflw_tests::pg::{self, PgDb};

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

fn storage(db: &PgDb) -> PgWorkflowStorage {
    PgWorkflowStorage::connect(&db.connection_string()).unwrap()
}

fn ids(runs: Vec<WorkflowSnapshot>) -> Vec<String> {
    runs.into_iter().map(|r| r.run_id).collect()
}

/// A database an application kept the original's table in: JSON as text, NULL where the
/// original wrote an undefined value, and a status a newer version of it writes.
fn original_database(db: &PgDb) {
    let mut client = db.client();
    client.batch_execute(pg::LEGACY_SCHEMA_SQL).unwrap();
    client
        .batch_execute(
            "INSERT INTO workflow_runs VALUES
               ('r1', 'invoice', 'success', '[0,1]', '{\"a\":{\"ok\":true}}', '{\"n\":1}', '{\"id\":5}', '{\"total\":3}', NULL, 100, 200),
               ('r2', 'invoice', 'failed', '[0]', NULL, NULL, NULL, NULL, '{\"message\":\"boom\"}', 110, 300),
               ('r3', 'report', 'paused', '[]', '{}', '{}', '{}', NULL, NULL, 120, 250);",
        )
        .unwrap();
}

#[test]
fn a_database_the_original_wrote_is_readable_at_once() {
    let Some(db) = PgDb::new() else { return };
    original_database(&db);
    let storage = storage(&db);
    assert_eq!(
        storage.load_snapshot("r1").unwrap().unwrap(),
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
    let r2 = storage.load_snapshot("r2").unwrap().unwrap();
    assert_eq!(
        (r2.step_results, r2.state, r2.input_data, r2.result),
        (Value::Null, Value::Null, Value::Null, None)
    );
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
    // The JSON columns are JSONB on the server, the legacy table is kept and captured.
    let mut client = db.client();
    let kind: String = client
        .query_one(
            "SELECT data_type FROM information_schema.columns
             WHERE table_name = 'wrkflw_workflow_runs' AND column_name = 'state'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(kind, "jsonb");
    client
        .batch_execute(
            "INSERT INTO workflow_runs (run_id, workflow_id, status, state) VALUES ('r4', 'report', 'running', '{\"late\":true}')",
        )
        .unwrap();
    assert_eq!(
        storage.load_snapshot("r4").unwrap().unwrap().state,
        json!({"late": true}),
        "an old deployment's write arrives"
    );
}

#[test]
fn what_is_saved_is_loaded_every_field_and_the_server_stamps_it() {
    let Some(db) = PgDb::new() else { return };
    let storage = storage(&db);
    let mut run = snapshot("run-1", "nightly", RunStatus::Running);
    run.updated_at = 12_345; // ignored: the server sets it
    storage.save_snapshot(&run).unwrap();
    let loaded = storage.load_snapshot("run-1").unwrap().unwrap();
    let now: i64 = db
        .client()
        .query_one("SELECT floor(extract(epoch from now()))::bigint", &[])
        .unwrap()
        .get(0);
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

#[test]
fn falsy_and_null_results_round_trip() {
    let Some(db) = PgDb::new() else { return };
    let storage = storage(&db);
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
    drop(storage);
    let storage = self::storage(&db);
    for (i, result) in results.iter().enumerate() {
        let loaded = storage.load_snapshot(&format!("r{i}")).unwrap().unwrap();
        assert_eq!(&loaded.result, result, "result {i}");
    }
}

#[test]
fn lists_come_newest_first_filtered_by_workflow_and_status() {
    let Some(db) = PgDb::new() else { return };
    let storage = storage(&db);
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
    db.client()
        .batch_execute(
            "UPDATE wrkflw_workflow_runs SET updated_at = CASE run_id
               WHEN 'a' THEN 40 WHEN 'b' THEN 10 WHEN 'c' THEN 30 ELSE 20 END",
        )
        .unwrap();
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

/// Every combination of filters and cursor, paged 5 at a time over tied stamps and runs
/// with no `updated_at`, gives each run once, in the lists' order.
#[test]
fn pages_cover_every_run_once_for_every_filter() {
    let Some(db) = PgDb::new() else { return };
    let storage = storage(&db);
    for i in 0..23 {
        let status = if i % 2 == 0 {
            RunStatus::Running
        } else {
            RunStatus::Failed
        };
        let workflow = if i % 3 == 0 { "w" } else { "v" };
        storage
            .save_snapshot(&snapshot(&format!("run-{i:02}"), workflow, status))
            .unwrap();
    }
    db.client()
        .batch_execute(
            "UPDATE wrkflw_workflow_runs SET updated_at = 100 + substr(run_id, 5)::int % 3;
             UPDATE wrkflw_workflow_runs SET updated_at = NULL WHERE run_id IN ('run-04', 'run-09')",
        )
        .unwrap();
    for status in [None, Some(RunStatus::Failed)] {
        for workflow in [None, Some("w")] {
            let mut seen = Vec::new();
            let mut after: Option<Cursor> = None;
            loop {
                let page = match &status {
                    None => storage.list_runs_page(workflow, after.as_ref(), 5),
                    Some(status) => {
                        storage.runs_by_status_page(status.clone(), workflow, after.as_ref(), 5)
                    }
                }
                .unwrap();
                assert!(page.runs.len() <= 5);
                seen.extend(page.runs.iter().map(|r| r.run_id.clone()));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            let all = match &status {
                None => storage.list_runs(workflow),
                Some(status) => storage.runs_by_status(status.clone(), workflow),
            }
            .unwrap();
            assert_eq!(seen, ids(all), "status {status:?}, workflow {workflow:?}");
        }
    }
    assert_eq!(storage.list_runs(None).unwrap().len(), 23);
}

#[test]
fn a_page_reads_along_an_index() {
    let Some(db) = PgDb::new() else { return };
    let _storage = storage(&db);
    let mut client = db.client();
    // A table large enough that the planner would rather sort without the index.
    client
        .batch_execute(
            "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status, updated_at)
             SELECT 'r' || n, 'w' || (n % 20), 'running', n FROM generate_series(1, 20000) n;
             ANALYZE wrkflw_workflow_runs",
        )
        .unwrap();
    for (status, workflow, cursor) in [
        (false, false, false),
        (false, true, true),
        (true, false, true),
        (true, true, false),
    ] {
        let sql = PgWorkflowStorage::page_sql(status, workflow, cursor);
        let mut params: Vec<String> = Vec::new();
        if status {
            params.push("'running'".into());
        }
        if workflow {
            params.push("'w3'".into());
        }
        if cursor {
            params.push("15000".into());
            params.push("'r15000'".into());
        }
        params.push("50".into());
        let mut literal = sql.clone();
        for (i, value) in params.iter().enumerate().rev() {
            literal = literal.replace(&format!("${}", i + 1), value);
        }
        let plan: Vec<String> = client
            .query(&format!("EXPLAIN {literal}"), &[])
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("Index"), "{sql}\n{plan}");
        assert!(!plan.contains("Sort"), "{sql}\n{plan}");
    }
}

/// A legacy run whose key the new table holds for another run stops the next storage, which
/// names the key and changes nothing; `connect_with` settles it as the application chooses.
#[test]
fn a_conflict_stops_connect_and_connect_with_settles_it() {
    for (policy, status) in [
        (OnConflict::KeepTable, RunStatus::Running),
        (OnConflict::TakeLegacy, RunStatus::Success),
    ] {
        let Some(db) = PgDb::new() else { return };
        db.client().batch_execute(pg::LEGACY_SCHEMA_SQL).unwrap();
        storage(&db)
            .save_snapshot(&snapshot("c", "w", RunStatus::Running))
            .unwrap();
        // An old deployment writes the same key into the kept legacy table.
        db.client()
            .batch_execute(
                "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('c', 'w', 'success')",
            )
            .unwrap();
        let before = pg::database_state(&mut db.client());
        match PgWorkflowStorage::connect(&db.connection_string()) {
            Err(Error::Conflicts { sample_keys, .. }) => assert_eq!(sample_keys, ["'c'"]),
            other => panic!("expected Conflicts, got {other:?}"),
        }
        assert_eq!(
            before,
            pg::database_state(&mut db.client()),
            "nothing changed"
        );
        let storage = PgWorkflowStorage::connect_with(&db.connection_string(), policy).unwrap();
        assert_eq!(
            storage.load_snapshot("c").unwrap().unwrap().status,
            status,
            "{policy:?}"
        );
        drop(storage);
        PgWorkflowStorage::connect(&db.connection_string()).expect("settled once, works again");
    }
}

#[test]
fn a_value_that_does_not_decode_names_its_column() {
    let Some(db) = PgDb::new() else { return };
    original_database(&db);
    let storage = storage(&db);
    db.client()
        .batch_execute(
            "UPDATE wrkflw_workflow_runs SET execution_path = '{\"not\": \"a list\"}' WHERE run_id = 'r1'",
        )
        .unwrap();
    let error = storage.load_snapshot("r1").unwrap_err();
    assert!(
        matches!(&error, Error::Decode { table, column, .. } if table == "wrkflw_workflow_runs" && column == "execution_path"),
        "{error:?}"
    );
}

#[test]
fn eight_threads_saving_and_loading_at_once_lose_nothing() {
    fn shared<T: Send + Sync>(_: &T) {}
    let Some(db) = PgDb::new() else { return };
    let storage = Arc::new(storage(&db));
    shared(&*storage);
    let handles: Vec<_> = (0..8)
        .map(|thread| {
            let storage = Arc::clone(&storage);
            std::thread::spawn(move || {
                for i in 0..50 {
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
    // A second storage, as another application server would have, sees it all.
    let other = self::storage(&db);
    assert_eq!(
        other
            .runs_by_status(RunStatus::Success, Some("w"))
            .unwrap()
            .len(),
        400
    );
}
