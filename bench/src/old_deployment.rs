//! What the change capture costs an old deployment: the writes it makes to the kept legacy
//! table, on a file `migrate` left its triggers on, beside the same writes on the same legacy
//! table without them.
//!
//! An old deployment keeps running while the new one migrates, and every write it makes to
//! `workflow_runs` now also runs the capture's triggers that carry it into `wrkflw_workflow_runs`,
//! inside its own transaction. The original TypeScript engine writes one row per transaction
//! (autocommit), so that is the case with goals: each of those commits syncs the disk, and the
//! triggers' work must stay small beside that. A batch of many rows in one transaction shows
//! the triggers' own cost, with no sync per row to hide it.
//!
//! Both sides write the same rows to files of the same size with the same tables: one
//! migrated by wrkflw (the capture installed), the other by the seed's own SQL (no triggers).

use std::collections::BTreeSet;
use std::path::Path;

use wrkflw::rusqlite::{params, Connection, ToSql};
use wrkflw::CaptureStatus;

use crate::seed::{self, WorkflowRun};
use crate::{
    fresh_copy, remove_database, seed_first_migration, timed, wrkflw_migrate, Figure, Journal,
    Line, Outcome, Report, Samples,
};

/// Single-row writes per measurement in rollback-journal mode. Each is a transaction of its
/// own, whose commit syncs the journal and then the database file: about 1 ms on the
/// benchmark machine's disk when it is quiet, 5 ms or more when it is busy or slow. 500 take
/// half a second to a few seconds a side, long enough for the disk's jitter to average out,
/// short enough to keep the four single-row measurements of a round within about 30 s.
const SINGLE_WRITES_ROLLBACK: u64 = 500;

/// Single-row writes per measurement in WAL mode, where a commit appends to the log and syncs
/// it once (0.2 to 0.4 ms there): twice as many for a comparable time.
const SINGLE_WRITES_WAL: u64 = 1000;

/// Rows of the one-transaction batch, written through one prepared statement: no fsync per
/// row to hide the triggers' cost.
const BATCH_ROWS: u64 = 10_000;

/// The insert of `seed::insert_legacy_runs`, column for column: an old deployment's write.
const INSERT_RUN_SQL: &str = "INSERT INTO workflow_runs (run_id, workflow_id, status,
   execution_path, step_results, state, input_data, result, error, created_at, updated_at)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// An old deployment moving a run on: its status and when that happened.
const UPDATE_RUN_SQL: &str =
    "UPDATE workflow_runs SET status = ?1, updated_at = ?2 WHERE run_id = ?3";

/// The status the updates write; `updated_at` tells one round's updates from another's.
const UPDATED_STATUS: &str = "success";

/// The scratch files: the legacy file migrated by wrkflw (capture on its legacy table) and
/// by the seed's SQL (the same tables, no triggers).
const CAPTURE_FILE: &str = "capture.sqlite3";
const PLAIN_FILE: &str = "plain.sqlite3";

/// The legacy file twice over, migrated: by wrkflw, which leaves its capture triggers on the
/// legacy table, and by the seed's SQL, which gives the same tables and indexes without them.
struct Sides {
    capture: Connection,
    plain: Connection,
}

impl Sides {
    fn new(dir: &Path, legacy: &Path, journal: Journal) -> Outcome<Sides> {
        let mut capture = fresh_copy(legacy, &dir.join(CAPTURE_FILE), journal)?;
        let report = wrkflw_migrate(&mut capture)?;
        if report.capture != Some(CaptureStatus::Installed) {
            return Err(format!("expected the capture installed, got {:?}", report.capture).into());
        }
        let plain = fresh_copy(legacy, &dir.join(PLAIN_FILE), journal)?;
        seed_first_migration(&plain)?;
        Ok(Sides { capture, plain })
    }

    /// Times the same work on both sides. The side that goes first alternates by round, so
    /// that neither always meets the warmer cache or the quieter disk.
    fn time(
        &mut self,
        round: usize,
        samples: &mut Samples,
        work: impl Fn(&mut Connection) -> Outcome,
    ) -> Outcome {
        if round.is_multiple_of(2) {
            samples.ours.push(timed(|| work(&mut self.capture))?.0);
            samples.baseline.push(timed(|| work(&mut self.plain))?.0);
        } else {
            samples.baseline.push(timed(|| work(&mut self.plain))?.0);
            samples.ours.push(timed(|| work(&mut self.capture))?.0);
        }
        Ok(())
    }
}

/// An old deployment's writes to the kept legacy table, with the capture and without: single
/// inserts, single updates, then a batch of inserts, each round on the same two files.
pub(crate) fn old_deployment_writes(
    table: &mut Report,
    dir: &Path,
    legacy: &Path,
    rows: u64,
    journal: Journal,
    rounds: usize,
) -> Outcome {
    if rows == 0 {
        return Err("the old deployment's updates need legacy rows to update".into());
    }
    let singles = match journal {
        Journal::Rollback => SINGLE_WRITES_ROLLBACK,
        Journal::Wal => SINGLE_WRITES_WAL,
    };
    let mut sides = Sides::new(dir, legacy, journal)?;
    let mut inserts = Samples::default();
    let mut prepared_inserts = Samples::default();
    let mut updates = Samples::default();
    let mut batch = Samples::default();
    // New runs are numbered on from the legacy ones, so every insert is of a new key.
    let mut next = rows;
    for round in 0..rounds {
        // The rows are made before the clock starts: only the writes are timed.
        let runs = new_runs(&mut next, singles);
        sides.time(round, &mut inserts, |conn| insert_each(conn, &runs))?;
        let runs = new_runs(&mut next, singles);
        sides.time(round, &mut prepared_inserts, |conn| {
            insert_each_prepared_once(conn, &runs)
        })?;

        let stamp = 2_000_000_000 + round as i64;
        let keys = spread_keys(rows, singles, round);
        sides.time(round, &mut updates, |conn| update_each(conn, &keys, stamp))?;

        let runs = new_runs(&mut next, BATCH_ROWS);
        sides.time(round, &mut batch, |conn| insert_batch(conn, &runs))?;

        check_captured(&sides, rows, next - rows, &keys, stamp)?;
    }
    drop(sides);
    remove_database(&dir.join(CAPTURE_FILE))?;
    remove_database(&dir.join(PLAIN_FILE))?;

    for (what, samples, goal) in [
        (
            "old deployment: one insert per transaction, with capture vs without",
            &inserts,
            Some(1.30),
        ),
        (
            "old deployment: one insert per transaction, statement prepared once, with capture vs without",
            &prepared_inserts,
            None,
        ),
        (
            "old deployment: one update per transaction, with capture vs without",
            &updates,
            Some(1.30),
        ),
        (
            "old deployment: 10,000 inserts in one transaction, with capture vs without",
            &batch,
            None,
        ),
    ] {
        table.push(Line {
            what,
            rows,
            journal: journal.name(),
            ours: Figure::Time(samples.ours_median()),
            baseline: Figure::Time(samples.baseline_median()),
            goal,
        });
    }
    Ok(())
}

/// The next `count` new runs, numbered on from `next`.
fn new_runs(next: &mut u64, count: u64) -> Vec<WorkflowRun> {
    let runs = (*next..*next + count).map(seed::legacy_run).collect();
    *next += count;
    runs
}

/// The keys of `count` legacy runs spread evenly over the table's `rows` (deterministic, and
/// not all in a few pages), shifted by one run each round.
fn spread_keys(rows: u64, count: u64, round: usize) -> Vec<String> {
    (0..count)
        .map(|i| seed::legacy_run((i * rows / count + round as u64) % rows).run_id)
        .collect()
}

fn run_params(run: &WorkflowRun) -> [&dyn ToSql; 11] {
    [
        &run.run_id,
        &run.workflow_id,
        &run.status,
        &run.execution_path,
        &run.step_results,
        &run.state,
        &run.input_data,
        &run.result,
        &run.error,
        &run.created_at,
        &run.updated_at,
    ]
}

/// One autocommit insert per run, as the original engine writes: each statement prepared
/// afresh (the trigger programs are compiled with it) and committed on its own.
fn insert_each(conn: &mut Connection, runs: &[WorkflowRun]) -> Outcome {
    for run in runs {
        conn.execute(INSERT_RUN_SQL, run_params(run))?;
    }
    Ok(())
}

/// The same through a statement prepared once and reused, as applications with a statement
/// cache write: the trigger programs are compiled once, not with every insert.
fn insert_each_prepared_once(conn: &mut Connection, runs: &[WorkflowRun]) -> Outcome {
    let mut insert = conn.prepare(INSERT_RUN_SQL)?;
    for run in runs {
        insert.execute(run_params(run))?;
    }
    Ok(())
}

/// One autocommit update per key.
fn update_each(conn: &mut Connection, keys: &[String], stamp: i64) -> Outcome {
    for key in keys {
        if conn.execute(UPDATE_RUN_SQL, params![UPDATED_STATUS, stamp, key])? != 1 {
            return Err(format!("no legacy run {key} to update").into());
        }
    }
    Ok(())
}

/// All runs in one transaction through one prepared statement.
fn insert_batch(conn: &mut Connection, runs: &[WorkflowRun]) -> Outcome {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(INSERT_RUN_SQL)?;
        for run in runs {
            insert.execute(run_params(run))?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Untimed: the capture carried every write into the new table, and the other side wrote only
/// its legacy table, so the measurement compared the writes it claims to compare.
fn check_captured(
    sides: &Sides,
    rows: u64,
    inserted: u64,
    updated: &[String],
    stamp: i64,
) -> Outcome {
    let count = |conn: &Connection, table: &str| -> Outcome<u64> {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })?;
        Ok(u64::try_from(n)?)
    };
    let counts = [
        count(&sides.capture, "workflow_runs")?,
        count(&sides.capture, "wrkflw_workflow_runs")?,
        count(&sides.plain, "workflow_runs")?,
        count(&sides.plain, "wrkflw_workflow_runs")?,
    ];
    let expected = [rows + inserted, rows + inserted, rows + inserted, rows];
    if counts != expected {
        return Err(format!(
            "rows in (legacy, new) with capture {:?} and without {:?}; expected {:?} and {:?}",
            &counts[..2],
            &counts[2..],
            &expected[..2],
            &expected[2..]
        )
        .into());
    }
    let mut updated_row = sides.capture.prepare(
        "SELECT count(*) FROM wrkflw_workflow_runs WHERE run_id = ?1 AND status = ?2 AND updated_at = ?3",
    )?;
    let keys: BTreeSet<&String> = updated.iter().collect();
    for key in keys {
        let found: i64 =
            updated_row.query_row(params![key, UPDATED_STATUS, stamp], |row| row.get(0))?;
        if found != 1 {
            return Err(format!("the capture did not carry the update of {key} over").into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keys_are_distinct_legacy_runs_over_the_whole_table() {
        let keys = spread_keys(2_000, 500, 1);
        assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), 500);
        assert_eq!(keys[0], seed::legacy_run(1).run_id);
        assert_eq!(keys[499], seed::legacy_run(1_997).run_id);
    }
}
