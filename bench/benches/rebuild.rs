//! Criterion: a table rebuild by wrkflw (a type change on one column of a table with two
//! indexes) beside the same twelve steps written by hand in rusqlite, at 20,000 rows. The
//! 1,000,000-row figure and its peak memory come from the suite
//! (`cargo run --release -p wrkflw-bench -- --rebuild-only`), which runs each case once per
//! round.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use tempfile::TempDir;
use wrkflw::rusqlite::Connection;

#[path = "../src/rebuild_fixture.rs"]
mod rebuild_fixture;

const ROWS: u64 = 20_000;

struct Fixture {
    _dir: TempDir,
    template: PathBuf,
    work: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("items.sqlite3");
        rebuild_fixture::build(&template, ROWS).unwrap();
        let work = dir.path().join("work.sqlite3");
        Fixture {
            _dir: dir,
            template,
            work,
        }
    }

    fn copy(&self) -> Connection {
        std::fs::copy(&self.template, &self.work).unwrap();
        Connection::open(&self.work).unwrap()
    }
}

fn rebuild(c: &mut Criterion) {
    let fixture = Fixture::new();
    let mut group = c.benchmark_group("rebuild");
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("wrkflw", ROWS), |b| {
        b.iter_batched(
            || fixture.copy(),
            |mut conn| rebuild_fixture::rebuild_with_wrkflw(&mut conn).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function(BenchmarkId::new("hand-written twelve steps", ROWS), |b| {
        b.iter_batched(
            || fixture.copy(),
            |conn| rebuild_fixture::rebuild_by_hand(&conn).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, rebuild);
criterion_main!(benches);
