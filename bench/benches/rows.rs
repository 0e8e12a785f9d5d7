//! Criterion benchmarks of typed rows and the workflow storage, each beside the hand-written
//! rusqlite (and serde_json) code doing the same work. `cargo bench -p wrkflw-bench --bench
//! rows`; the ratios are in BENCHMARKS.md.

use std::sync::OnceLock;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::{json, Value};
use wrkflw::rusqlite::{params, Connection, OptionalExtension};
use wrkflw::storage::{RunStatus, WorkflowSnapshot, WorkflowStorage};
use wrkflw::{LegacyTable, Table};

#[path = "../../wrkflw/examples/seed/mod.rs"]
#[allow(dead_code)]
mod seed;

use seed::WorkflowRun;

/// The insert a hand-written application would write for the seed table.
const HAND_INSERT: &str = "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status,
  execution_path, step_results, state, input_data, result, error, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const HAND_SELECT: &str = "SELECT run_id, workflow_id, status, execution_path, step_results,
  state, input_data, result, error, created_at, updated_at
FROM wrkflw_workflow_runs WHERE run_id = ?1";

/// An in-memory database with the seed's new table, and `rows` runs in it.
fn table(rows: u64) -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
    let tx = conn.transaction().unwrap();
    for n in 0..rows {
        seed::legacy_run(n).insert(&tx).unwrap();
    }
    tx.commit().unwrap();
    conn
}

fn hand_read(row: &wrkflw::rusqlite::Row<'_>) -> wrkflw::rusqlite::Result<WorkflowRun> {
    Ok(WorkflowRun {
        run_id: row.get(0)?,
        workflow_id: row.get(1)?,
        status: row.get(2)?,
        execution_path: row.get(3)?,
        step_results: row.get(4)?,
        state: row.get(5)?,
        input_data: row.get(6)?,
        result: row.get(7)?,
        error: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

fn inserts(c: &mut Criterion) {
    const ROWS: u64 = 100_000;
    let runs: Vec<WorkflowRun> = (0..ROWS).map(seed::legacy_run).collect();
    let mut group = c.benchmark_group("insert 100,000 rows in one transaction");
    group.sample_size(10);
    group.bench_function("typed insert", |b| {
        b.iter_batched(
            || table(0),
            |mut conn| {
                let tx = conn.transaction().unwrap();
                for run in &runs {
                    run.insert(&tx).unwrap();
                }
                tx.commit().unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    // The same per-row insert written by hand: a function of one row that takes its
    // statement from the connection's cache, as `insert` does.
    fn hand_insert(conn: &Connection, r: &WorkflowRun) {
        conn.prepare_cached(HAND_INSERT)
            .unwrap()
            .execute(params![
                r.run_id,
                r.workflow_id,
                r.status,
                r.execution_path,
                r.step_results,
                r.state,
                r.input_data,
                r.result,
                r.error,
                r.created_at,
                r.updated_at
            ])
            .unwrap();
    }
    group.bench_function("hand-written", |b| {
        b.iter_batched(
            || table(0),
            |mut conn| {
                let tx = conn.transaction().unwrap();
                for run in &runs {
                    hand_insert(&tx, run);
                }
                tx.commit().unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn gets(c: &mut Criterion) {
    const ROWS: u64 = 10_000;
    let conn = table(ROWS);
    let keys: Vec<String> = (0..1_000)
        .map(|i| seed::legacy_run(i * 7 % ROWS).run_id)
        .collect();
    let mut group = c.benchmark_group("get 1,000 rows by key of 10,000");
    group.bench_function("typed get", |b| {
        b.iter(|| {
            for key in &keys {
                WorkflowRun::get(&conn, key.as_str()).unwrap().unwrap();
            }
        })
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            for key in &keys {
                let mut select = conn.prepare_cached(HAND_SELECT).unwrap();
                select
                    .query_row([key], hand_read)
                    .optional()
                    .unwrap()
                    .unwrap();
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("read 10,000 rows of SELECT *");
    group.bench_function("from_row (by name)", |b| {
        b.iter(|| {
            let mut stmt = conn
                .prepare_cached("SELECT * FROM wrkflw_workflow_runs")
                .unwrap();
            let rows: Vec<WorkflowRun> = stmt
                .query_map([], WorkflowRun::from_row)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len() as u64, ROWS);
        })
    });
    group.bench_function("hand-written row.get(i)", |b| {
        b.iter(|| {
            let mut stmt = conn
                .prepare_cached("SELECT * FROM wrkflw_workflow_runs")
                .unwrap();
            let rows: Vec<WorkflowRun> = stmt
                .query_map([], hand_read)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len() as u64, ROWS);
        })
    });
    group.finish();
}

fn snapshot(i: u64) -> WorkflowSnapshot {
    WorkflowSnapshot {
        run_id: format!("run-{i}"),
        workflow_id: format!("workflow-{}", i % 6),
        status: RunStatus::Running,
        execution_path: vec![0, 1, 2],
        step_results: json!({"fetch": {"ok": true, "ms": i % 900}, "parse": {"ok": true}}),
        state: json!({"cursor": i, "retries": 1, "locale": "en-GB"}),
        input_data: json!({"customer_id": format!("cus_{i:010}"), "amount": 12.5}),
        result: Some(json!({"output": "ok", "items": i % 250})),
        error: None,
        updated_at: 0,
    }
}

/// `save_snapshot` and `load_snapshot` written by hand: the same statements, the same JSON.
struct HandStorage {
    conn: Connection,
}

impl HandStorage {
    fn save(&self, s: &WorkflowSnapshot) {
        let mut save = self.conn.prepare_cached(WorkflowStorage::SAVE_SQL).unwrap();
        save.execute(params![
            s.run_id,
            s.workflow_id,
            s.status.as_str(),
            serde_json::to_string(&s.execution_path).unwrap(),
            serde_json::to_string(&s.step_results).unwrap(),
            serde_json::to_string(&s.state).unwrap(),
            serde_json::to_string(&s.input_data).unwrap(),
            s.result.as_ref().map(|r| serde_json::to_string(r).unwrap()),
            s.error,
        ])
        .unwrap();
    }

    fn load(&self, run_id: &str) -> Option<WorkflowSnapshot> {
        let mut load = self.conn.prepare_cached(HAND_SELECT).unwrap();
        let json = |text: Option<String>| -> Value {
            text.map_or(Value::Null, |t| serde_json::from_str(&t).unwrap())
        };
        load.query_row([run_id], |row| {
            Ok(WorkflowSnapshot {
                run_id: row.get(0)?,
                workflow_id: row.get(1)?,
                status: RunStatus::from(row.get::<_, String>(2)?),
                execution_path: row
                    .get::<_, Option<String>>(3)?
                    .map_or_else(Vec::new, |t| serde_json::from_str(&t).unwrap()),
                step_results: json(row.get(4)?),
                state: json(row.get(5)?),
                input_data: json(row.get(6)?),
                result: row
                    .get::<_, Option<String>>(7)?
                    .map(|t| serde_json::from_str(&t).unwrap()),
                error: row.get(8)?,
                updated_at: row.get::<_, Option<i64>>(10)?.unwrap_or_default(),
            })
        })
        .optional()
        .unwrap()
    }
}

fn storage(c: &mut Criterion) {
    const RUNS: u64 = 1_000;
    let snapshots: Vec<WorkflowSnapshot> = (0..RUNS).map(snapshot).collect();
    let mut group = c.benchmark_group("save then load 1,000 snapshots");
    group.sample_size(20);
    group.bench_function("WorkflowStorage", |b| {
        b.iter_batched(
            || WorkflowStorage::open_in_memory().unwrap(),
            |storage| {
                for s in &snapshots {
                    storage.save_snapshot(s).unwrap();
                }
                for s in &snapshots {
                    storage.load_snapshot(&s.run_id).unwrap().unwrap();
                }
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("hand-written rusqlite + serde_json", |b| {
        b.iter_batched(
            || {
                // The same table and indexes as the storage's.
                let mut conn = Connection::open_in_memory().unwrap();
                WorkflowRun::migrate(&mut conn, LegacyTable::Keep).unwrap();
                for sql in WorkflowStorage::LIST_INDEX_SQL {
                    conn.execute_batch(sql).unwrap();
                }
                HandStorage { conn }
            },
            |hand| {
                for s in &snapshots {
                    hand.save(s);
                }
                for s in &snapshots {
                    hand.load(&s.run_id).unwrap();
                }
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// 1,000,000 runs over six workflows, migrated, twice: as the original library's database
/// (its two single-column indexes) and opened by the storage (its list indexes added).
fn million() -> &'static (tempfile::TempDir, WorkflowStorage) {
    static MILLION: OnceLock<(tempfile::TempDir, WorkflowStorage)> = OnceLock::new();
    MILLION.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let original = dir.path().join("original.sqlite3");
        let mut conn = Connection::open(&original).unwrap();
        conn.execute_batch(seed::LEGACY_SCHEMA_SQL).unwrap();
        for first in (0..1_000_000).step_by(50_000) {
            seed::insert_legacy_runs(&mut conn, first, 50_000).unwrap();
        }
        WorkflowRun::migrate(&mut conn, LegacyTable::Drop).unwrap();
        drop(conn);
        let ours = dir.path().join("storage.sqlite3");
        std::fs::copy(&original, &ours).unwrap();
        let storage = WorkflowStorage::open(&ours).unwrap();
        (dir, storage)
    })
}

fn newest_page(c: &mut Criterion) {
    let (dir, storage) = million();
    let conn = Connection::open(dir.path().join("original.sqlite3")).unwrap();
    let mut group = c.benchmark_group("newest 50 runs of one workflow of 1,000,000");
    group.sample_size(10);
    group.bench_function("list_runs_page", |b| {
        b.iter(|| {
            let page = storage
                .list_runs_page(Some("nightly-report"), None, 50)
                .unwrap();
            assert_eq!(page.runs.len(), 50);
        })
    });
    group.bench_function("the original's query", |b| {
        b.iter(|| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT * FROM wrkflw_workflow_runs WHERE workflow_id = ? ORDER BY updated_at DESC",
                )
                .unwrap();
            let mut rows = stmt.query(["nightly-report"]).unwrap();
            let mut taken = 0;
            while taken < 50 {
                rows.next().unwrap().unwrap();
                taken += 1;
            }
        })
    });
    group.finish();
}

criterion_group!(benches, inserts, gets, storage, newest_page);
criterion_main!(benches);
