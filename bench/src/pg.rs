//! The PostgreSQL benchmarks (`--postgres`): wrkflw's first migration of the seed table on a
//! server beside the same copy written by hand, and a re-run over the migrated table.
//!
//! ```text
//! WRKFLW_BENCH_POSTGRES='host=localhost user=postgres' cargo run --release -p wrkflw-bench -- --postgres --rows 1000000
//! cargo run --release -p wrkflw-bench -- --postgres 'host=localhost user=postgres' --rows 100000 --rounds 5
//! ```
//!
//! Each size runs in a database of its own, created on the server and dropped after. The
//! legacy table is loaded once with `COPY`, vacuumed and checkpointed; every round then
//! starts from it alone (the new table, the ledger, the conflict log and the capture are
//! dropped between rounds, with a checkpoint, so that no round pays for another's WAL).
//!
//! - **First migration**: `PgTable::migrate(&mut client, LegacyTable::Keep)` (the migration
//!   lock, the legacy table's lock, the checks, the capture, the copy with indexes built
//!   after, the verification and the ledger) against the hand-written copy in one
//!   transaction: the generated `CREATE TABLE`, `INSERT ... SELECT ... ON CONFLICT (run_id)
//!   DO NOTHING` (`PG_COPY_SQL`) and the two `CREATE INDEX`, built after the copy too.
//! - **Re-run**: `migrate` again over the up-to-date table (the median of 21 calls, each its
//!   own transaction: lock, catalog, ledger, capture and conflict log checked, no legacy row
//!   read), against the hand-written copy run again (what an application that copies at
//!   every start pays). The issue's goal is 10 ms or less.

use std::str::FromStr;
use std::time::Duration;

use wrkflw::postgres::driver::{Client, Config, NoTls};
use wrkflw::postgres::PgTable;
use wrkflw::{CopyPath, LegacyTable};

use crate::seed::WorkflowRun;
use crate::{median, thousands, timed, Figure, Line, Outcome, Report};

#[path = "../../wrkflw/examples/seed/postgres.rs"]
mod seed_postgres;

/// The variable naming the server when `--postgres` has no connection string.
pub(crate) const SERVER_VARIABLE: &str = "WRKFLW_BENCH_POSTGRES";

/// The re-run's goal, from the issue.
const RERUN_GOAL: Duration = Duration::from_millis(10);

/// Re-runs timed for the median.
const RERUNS: usize = 21;

/// Runs the PostgreSQL benchmarks on the server `server` names, at each size.
pub(crate) fn run(
    table: &mut Report,
    server: &str,
    sizes: &[u64],
    rounds: &dyn Fn(u64) -> usize,
) -> Outcome {
    let server = Config::from_str(server)?;
    for &rows in sizes {
        let name = format!("wrkflw_bench_pg_{}_{rows}", std::process::id());
        let mut admin = server.connect(NoTls)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let mut config = server.clone();
        config.dbname(&name);
        let outcome = measure(table, &config, rows, rounds(rows));
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        outcome?;
    }
    Ok(())
}

fn measure(table: &mut Report, config: &Config, rows: u64, rounds: usize) -> Outcome {
    let mut client = config.connect(NoTls)?;
    let (took, ()) = timed(|| seed_postgres::load_legacy_runs(&mut client, 0, rows))?;
    client.batch_execute("VACUUM ANALYZE workflow_runs")?;
    client.batch_execute("CHECKPOINT")?;
    eprintln!(
        "loaded {} legacy rows on PostgreSQL in {:.1} s",
        thousands(rows),
        took.as_secs_f64()
    );

    let mut ours = Vec::new();
    let mut baseline = Vec::new();
    for round in 0..rounds {
        // Alternate which goes first, so that neither always finds the cache warmer.
        for first in [round % 2 == 0, round % 2 == 1] {
            if first {
                let (took, report) = timed(|| {
                    Ok(<WorkflowRun as PgTable>::migrate(
                        &mut client,
                        LegacyTable::Keep,
                    )?)
                })?;
                if report.rows_copied != rows || report.copy_path != Some(CopyPath::BulkInsert) {
                    return Err(format!(
                        "expected a bulk insert of all {rows} rows, got {:?} of {}",
                        report.copy_path, report.rows_copied
                    )
                    .into());
                }
                ours.push(took);
            } else {
                baseline.push(timed(|| hand_written_copy(&mut client))?.0);
            }
            reset(&mut client)?;
        }
    }
    table.push(Line {
        what: "first migration (PostgreSQL)",
        rows,
        journal: "server",
        ours: Figure::Time(median(&ours)),
        baseline: Figure::Time(median(&baseline)),
        goal: None,
    });

    // Re-runs over the migrated table.
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep)?;
    client.batch_execute("VACUUM ANALYZE wrkflw_workflow_runs")?;
    client.batch_execute("CHECKPOINT")?;
    let mut reruns = Vec::with_capacity(RERUNS);
    for _ in 0..RERUNS {
        let (took, report) = timed(|| {
            Ok(<WorkflowRun as PgTable>::migrate(
                &mut client,
                LegacyTable::Keep,
            )?)
        })?;
        if report.rows_copied != 0 {
            return Err(format!("a re-run copied {} rows", report.rows_copied).into());
        }
        reruns.push(took);
    }
    let mut copies_again = Vec::new();
    for _ in 0..rounds.max(3) {
        copies_again.push(
            timed(|| {
                let mut tx = client.transaction()?;
                let copy = WorkflowRun::PG_COPY_SQL.ok_or("the seed struct has no legacy table")?;
                tx.batch_execute(copy)?;
                tx.commit()?;
                Ok(())
            })?
            .0,
        );
    }
    let rerun = median(&reruns);
    table.push(Line {
        what: "re-run (PostgreSQL)",
        rows,
        journal: "server",
        ours: Figure::Time(rerun),
        baseline: Figure::Time(median(&copies_again)),
        goal: None,
    });
    eprintln!(
        "  re-run over {} migrated rows: {:.2} ms (median of {RERUNS}; goal ≤ {} ms: {})",
        thousands(rows),
        rerun.as_secs_f64() * 1000.0,
        RERUN_GOAL.as_millis(),
        if rerun <= RERUN_GOAL {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}

/// The copy written by hand, in one transaction: the generated table, the generated
/// `INSERT ... SELECT ... ON CONFLICT (run_id) DO NOTHING`, then the indexes.
fn hand_written_copy(client: &mut Client) -> Outcome {
    let copy = WorkflowRun::PG_COPY_SQL.ok_or("the seed struct has no legacy table")?;
    let mut tx = client.transaction()?;
    tx.batch_execute(WorkflowRun::PG_CREATE_SQL)?;
    tx.batch_execute(copy)?;
    for index in WorkflowRun::PG_INDEX_SQL {
        tx.batch_execute(index)?;
    }
    tx.commit()?;
    Ok(())
}

/// Back to the legacy table alone: what either migration created goes, and a checkpoint
/// writes out its WAL before the next round is timed.
fn reset(client: &mut Client) -> Outcome {
    client.batch_execute(
        "DROP TABLE IF EXISTS wrkflw_workflow_runs, wrkflw_migrations, wrkflw_conflicts;
         DROP FUNCTION IF EXISTS wrkflw_workflow_runs_capture() CASCADE;
         CHECKPOINT",
    )?;
    Ok(())
}
