//! A separate process for the tests that need real processes: several migrating at once, one
//! killed with SIGKILL in the middle of a migration, and old deployments writing the legacy
//! table meanwhile.
//!
//! - `migrate-child <db> [pause-after <n>]` migrates with `LegacyTable::Keep` and prints
//!   `copied <rows> progress <callbacks>`. With `pause-after n` it prints `paused` once
//!   SQLite has run n×1000 virtual-machine instructions and then blocks inside SQLite,
//!   mid-statement, until the test kills it.
//! - `migrate-child rebuild <db> [pause-after <n>]` does the same with `LooseRun`, whose
//!   struct rebuilds the seed's table.
//! - `migrate-child write <db> <seed> <ops>` is an old deployment: it makes `ops` writes to
//!   the legacy table, each in its own transaction (inserts, `INSERT OR REPLACE` and
//!   `ON CONFLICT DO UPDATE` upserts, `INSERT OR IGNORE`, updates, deletes), chosen by a
//!   generator seeded with `seed`, and prints `wrote <ops>`.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wrkflw::rusqlite::{params, Connection, OptionalExtension};
use wrkflw::{LegacyTable, Table};
use wrkflw_tests::{seed, LooseRun, WorkflowRun};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("write") {
        let number = |i: usize| -> u64 { args[i].parse().expect("a number") };
        write_legacy(&args[1], number(2), number(3));
        return;
    }
    let rebuild = args.first().map(String::as_str) == Some("rebuild");
    let args = &args[usize::from(rebuild)..];
    let path = args.first().expect(
        "usage: migrate-child <db> [pause-after <n>] | migrate-child write <db> <seed> <ops>",
    );
    let pause_after: Option<u64> = match args.get(1).map(String::as_str) {
        Some("pause-after") => Some(args[2].parse().expect("a number of callbacks")),
        _ => None,
    };
    let mut conn = Connection::open(path).expect("open the database");
    let callbacks = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&callbacks);
    conn.progress_handler(
        1000,
        Some(move || {
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            if Some(n) == pause_after {
                println!("paused");
                std::io::stdout().flush().unwrap();
                loop {
                    std::thread::park();
                }
            }
            false
        }),
    )
    .expect("install the progress handler");
    let migrated = if rebuild {
        LooseRun::migrate(&mut conn, LegacyTable::Keep)
    } else {
        WorkflowRun::migrate(&mut conn, LegacyTable::Keep)
    };
    match migrated {
        Ok(report) => println!(
            "copied {} progress {}",
            report.rows_copied,
            callbacks.load(Ordering::Relaxed)
        ),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}

/// An old deployment at work on the legacy table, as another process.
fn write_legacy(path: &str, seed_value: u64, ops: u64) {
    let conn = Connection::open(path).expect("open the database");
    conn.busy_timeout(Duration::from_secs(120)).unwrap();
    let mut random = seed_value.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        // xorshift64: reproducible choices without a PRNG dependency.
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random
    };
    // Runs numbered from here on are this writer's own new rows.
    let first_new = 10_000_000 * (seed_value + 1);
    for op in 0..ops {
        let max_rowid: i64 = conn
            .query_row(
                "SELECT coalesce(max(rowid), 0) FROM workflow_runs",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let pick = (next() % (max_rowid.max(1) as u64)) as i64;
        let existing: Option<String> = conn
            .query_row(
                "SELECT run_id FROM workflow_runs WHERE rowid >= ?1 ORDER BY rowid LIMIT 1",
                [pick],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        let fresh = seed::legacy_run(first_new + op);
        let status = ["running", "success", "failed", "paused"][(next() % 4) as usize];
        let choice = next() % 100;
        let result = match (choice, &existing) {
            (0..=34, _) | (_, None) => conn.execute(
                "INSERT INTO workflow_runs (run_id, workflow_id, status, input_data, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![fresh.run_id, fresh.workflow_id, fresh.status, fresh.input_data, fresh.created_at],
            ),
            (35..=49, Some(key)) => conn.execute(
                "INSERT OR REPLACE INTO workflow_runs (run_id, workflow_id, status, state, updated_at)
                 VALUES (?1, 'replaced', ?2, ?3, ?4)",
                params![key, status, format!("{{\"op\":{op}}}"), 1_800_000_000 + op as i64],
            ),
            (50..=69, Some(key)) => conn.execute(
                "UPDATE workflow_runs SET status = ?2, updated_at = ?3 WHERE run_id = ?1",
                params![key, status, 1_800_000_000 + op as i64],
            ),
            (70..=79, Some(key)) => {
                conn.execute("DELETE FROM workflow_runs WHERE run_id = ?1", [key])
            }
            (80..=89, Some(key)) => {
                let key = if next() % 2 == 0 { key.clone() } else { fresh.run_id.clone() };
                conn.execute(
                    "INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES (?1, 'upserted', ?2)
                     ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, result = 'upserted'",
                    params![key, status],
                )
            }
            (_, Some(key)) => conn.execute(
                "INSERT OR IGNORE INTO workflow_runs (run_id, workflow_id, status) VALUES (?1, 'ignored', 'x')",
                [key],
            ),
        };
        result.unwrap_or_else(|e| panic!("write {op} ({choice}) failed: {e}"));
    }
    println!("wrote {ops}");
}
