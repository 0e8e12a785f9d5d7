//! Criterion micro-benchmarks: small migrations, each beside the seed's hand-written SQL.
//! `cargo bench -p wrkflw-bench`. The 10,000 to 1,000,000-row table comes from the release
//! binary (`cargo run --release -p wrkflw-bench`), which runs each case once per round.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use tempfile::TempDir;
use wrkflw::rusqlite::Connection;
use wrkflw::{LegacyTable, Table};

#[path = "../../wrkflw/examples/seed/mod.rs"]
#[allow(dead_code)]
mod seed;

/// A legacy database of `rows` runs to copy from, and a scratch path to copy it to.
struct Fixture {
    _dir: TempDir,
    legacy: PathBuf,
    work: PathBuf,
}

impl Fixture {
    fn new(rows: u64) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("legacy.sqlite3");
        let mut conn = Connection::open(&legacy).unwrap();
        conn.execute_batch(seed::LEGACY_SCHEMA_SQL).unwrap();
        seed::insert_legacy_runs(&mut conn, 0, rows).unwrap();
        let work = dir.path().join("work.sqlite3");
        Fixture {
            _dir: dir,
            legacy,
            work,
        }
    }

    /// A fresh copy of the legacy file, optionally already migrated one way.
    fn copy(&self, prepare: impl Fn(&mut Connection)) -> Connection {
        let _ = std::fs::remove_file(journal_of(&self.work));
        std::fs::copy(&self.legacy, &self.work).unwrap();
        let mut conn = Connection::open(&self.work).unwrap();
        prepare(&mut conn);
        conn
    }
}

fn journal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-journal");
    name.into()
}

/// One way of migrating an open database.
type Migrate = fn(&mut Connection);

fn wrkflw_migrate(conn: &mut Connection) {
    seed::WorkflowRun::migrate(conn, LegacyTable::Keep).unwrap();
}

fn seed_migrate(conn: &mut Connection) {
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {} {} COMMIT;",
        seed::ORIGINAL_NEW_SCHEMA_SQL,
        seed::ORIGINAL_COPY_SQL
    ))
    .unwrap();
}

fn seed_rerun(conn: &mut Connection) {
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {} COMMIT;",
        seed::ORIGINAL_COPY_SQL
    ))
    .unwrap();
}

fn first_migration(c: &mut Criterion) {
    let rows = 1_000;
    let fixture = Fixture::new(rows);
    let mut group = c.benchmark_group("first migration");
    group.sample_size(20);
    let ways: [(&str, Migrate); 2] = [("wrkflw", wrkflw_migrate), ("seed statement", seed_migrate)];
    for (name, migrate) in ways {
        group.bench_function(BenchmarkId::new(name, rows), |b| {
            b.iter_batched(
                || fixture.copy(|_| {}),
                |mut conn| migrate(&mut conn),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn rerun(c: &mut Criterion) {
    let rows = 10_000;
    let fixture = Fixture::new(rows);
    let mut group = c.benchmark_group("re-run");
    group.sample_size(20);
    let ways: [(&str, Migrate, Migrate); 2] = [
        ("wrkflw", wrkflw_migrate, wrkflw_migrate),
        ("seed statement", seed_migrate, seed_rerun),
    ];
    for (name, first, again) in ways {
        let mut conn = fixture.copy(first);
        group.bench_function(BenchmarkId::new(name, rows), |b| {
            b.iter(|| again(&mut conn))
        });
    }
    group.finish();
}

criterion_group!(benches, first_migration, rerun);
criterion_main!(benches);
