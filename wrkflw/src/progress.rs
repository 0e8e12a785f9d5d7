//! Progress events and cancellation: what [`Migrator::on_progress`](crate::Migrator::on_progress)
//! reports as a migration runs, and how a copy inside one SQL statement is watched.
//!
//! The code that runs a plan reports each step as it starts and ends. During a copy, which is
//! one `INSERT ... SELECT`, only SQLite runs: its progress handler, called every
//! [`OPS_BETWEEN_CALLS`] virtual-machine instructions, reports the rows done at most every
//! [`REPORT_EVERY`] and interrupts the statement when the callback cancels. The handler is
//! installed only when a callback is set, for the length of a run.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::plan::Action;
use crate::{Error, Result};

/// What a migration reports as it goes, to the callback of
/// [`Migrator::on_progress`](crate::Migrator::on_progress).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// The table being migrated (`TABLE_NAME`).
    pub table: String,
    /// Which step.
    pub step: ProgressStep,
    /// What happened in it.
    pub event: ProgressEvent,
}

/// The kind of step a [`Progress`] is about. Each statement of a table's [`Plan`](crate::Plan)
/// is one step, reported as it starts and as it ends; the checks after a copy and after a
/// settlement are a [`Verify`](ProgressStep::Verify) step of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProgressStep {
    /// Creating the table, or changing it with `ALTER TABLE`: renaming a column, adding one
    /// and filling it from the legacy table.
    Create,
    /// Copying legacy rows into the table (`Action::Copy`): reports rows as it goes.
    Copy,
    /// Creating an index.
    Index,
    /// Checking that every row a copy or a settlement wrote arrived and that their foreign
    /// keys hold.
    Verify,
    /// Creating the change capture's tables, removing or installing its triggers.
    Capture,
    /// Settling the conflicts the change capture logged.
    Settle,
    /// Dropping a legacy table.
    Drop,
    /// One statement of a table rebuild; its copy reports rows as it goes.
    Rebuild,
    /// Creating the migration ledger, or recording the run in it.
    Ledger,
}

/// What happened in a step, in a [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// The step starts; `rows` is how many rows it will handle when known (a copy's total).
    Started {
        /// For a copy, the rows it reads: the legacy table's rows (for a rebuild, the table's).
        rows: Option<u64>,
    },
    /// During a long step (a copy, a rebuild's copy): rows done of rows total. `estimated` is true when
    /// the figure is an estimate made inside one SQL statement.
    Rows {
        /// Rows done so far; never more than `total`, and never less than the last report's.
        done: u64,
        /// The rows the step reads, as in its `Started`.
        total: u64,
        /// Whether `done` is an estimate: within one statement SQLite counts instructions, not
        /// rows, so rows done are worked out from the instructions each row takes.
        estimated: bool,
    },
    /// The step ended; `rows` is the exact number of rows it handled when it handles rows.
    Finished {
        /// The rows a copy inserted, or a settlement statement changed.
        rows: Option<u64>,
    },
}

impl ProgressStep {
    /// The step a planned action is reported as.
    pub(crate) fn of(action: &Action) -> ProgressStep {
        match action {
            Action::CreateLedger | Action::RecordLedger => ProgressStep::Ledger,
            Action::CreateCaptureTable { .. }
            | Action::RemoveCapture { .. }
            | Action::InstallCapture { .. }
            | Action::InstallCaptureFunction { .. }
            | Action::RemoveCaptureFunction { .. }
            | Action::LockLegacy { .. } => ProgressStep::Capture,
            Action::CreateTable
            | Action::RenameColumn { .. }
            | Action::AddColumn { .. }
            | Action::FillColumn { .. }
            | Action::AlterColumn { .. }
            | Action::DropColumn { .. }
            | Action::AddForeignKey { .. }
            | Action::DropForeignKey { .. } => ProgressStep::Create,
            Action::RebuildTable { .. } => ProgressStep::Rebuild,
            Action::CreateIndex { .. } => ProgressStep::Index,
            Action::Copy { .. } => ProgressStep::Copy,
            Action::ForgetConflicts { .. }
            | Action::ClearReplacedKeys { .. }
            | Action::CopyConflictRows { .. }
            | Action::ApplyRejectedRows { .. }
            | Action::TakeLegacyRows { .. }
            | Action::SettleConflicts { .. } => ProgressStep::Settle,
            Action::DropLegacy | Action::DropLegacyOf { .. } => ProgressStep::Drop,
        }
    }
}

/// The callback as a `Migrator` keeps it: its clones share it.
pub(crate) type Callback = Arc<Mutex<dyn FnMut(&Progress) -> ControlFlow<()> + Send>>;

/// Virtual-machine instructions between two calls of SQLite's progress handler. A copy runs
/// about ten (transfer) to thirty (bulk insert) instructions a row and some forty million
/// instructions a second, so this calls the handler some forty thousand times a second: often
/// enough to report on time, rarely enough that the call (a lock and a clock read, tens of
/// nanoseconds) costs about a thousandth of the copy.
pub(crate) const OPS_BETWEEN_CALLS: i32 = 1000;

/// The least time between two `Rows` reports of one copy: ten a second.
pub(crate) const REPORT_EVERY: Duration = Duration::from_millis(100);

/// Reports one run's progress to the callback, if there is one.
pub(crate) struct Reporter {
    callback: Option<Callback>,
    /// The copy SQLite is running now, if it is watched.
    copy: Arc<Mutex<Option<CopyWatch>>>,
}

/// What the progress handler knows of the copy it watches.
struct CopyWatch {
    table: String,
    step: ProgressStep,
    total: u64,
    /// Instructions one row takes, from the statement's program (see [`ops_per_row`]).
    ops_per_row: u64,
    /// Calls of the handler since the copy started: each follows [`OPS_BETWEEN_CALLS`] more
    /// instructions.
    calls: u64,
    done: u64,
    next_report: Instant,
    cancelled: bool,
    /// The callback panicked: SQLite cannot unwind, so the statement is interrupted and the
    /// panic goes on once the copy has returned.
    panicked: Option<Box<dyn std::any::Any + Send>>,
}

impl CopyWatch {
    /// One call of the progress handler: reports the rows done when it is time, and says
    /// whether SQLite must interrupt the statement.
    fn tick(&mut self, callback: &Callback) -> bool {
        self.calls += 1;
        let now = Instant::now();
        if now < self.next_report {
            return false;
        }
        self.next_report = now + REPORT_EVERY;
        let instructions = self.calls * OPS_BETWEEN_CALLS as u64;
        self.done = (instructions / self.ops_per_row)
            .min(self.total)
            .max(self.done);
        let progress = Progress {
            table: self.table.clone(),
            step: self.step,
            event: ProgressEvent::Rows {
                done: self.done,
                total: self.total,
                estimated: true,
            },
        };
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (*lock(callback))(&progress).is_break()
        }));
        self.cancelled = match called {
            Ok(cancelled) => cancelled,
            Err(panic) => {
                self.panicked = Some(panic);
                true
            }
        };
        self.cancelled
    }
}

impl Reporter {
    pub(crate) fn new(callback: Option<Callback>) -> Reporter {
        Reporter {
            callback,
            copy: Arc::new(Mutex::new(None)),
        }
    }

    /// Whether a callback listens: only then is anything counted for it.
    pub(crate) fn is_on(&self) -> bool {
        self.callback.is_some()
    }

    /// Installs SQLite's progress handler on the connection, when a callback is set. It does
    /// nothing until a copy is watched. Replaces any progress handler set on the connection.
    pub(crate) fn install(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        let Some(callback) = self.callback.clone() else {
            return Ok(());
        };
        let copy = Arc::clone(&self.copy);
        conn.progress_handler(
            OPS_BETWEEN_CALLS,
            Some(move || lock(&copy).as_mut().is_some_and(|w| w.tick(&callback))),
        )
    }

    /// Removes the handler [`install`](Reporter::install) set.
    pub(crate) fn remove(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        if self.callback.is_none() {
            return Ok(());
        }
        conn.progress_handler(0, None::<fn() -> bool>)
    }

    /// Tells the callback; its `Break` is [`Error::Cancelled`].
    pub(crate) fn report(
        &self,
        table: &str,
        step: ProgressStep,
        event: ProgressEvent,
    ) -> Result<()> {
        let Some(callback) = &self.callback else {
            return Ok(());
        };
        let progress = Progress {
            table: table.to_owned(),
            step,
            event,
        };
        match (*lock(callback))(&progress) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(Error::Cancelled {
                table: table.to_owned(),
            }),
        }
    }

    /// Runs `copy`, the one statement `sql`, reporting its rows done of `total` while it runs
    /// when a callback is set. The outer error is [`Error::Cancelled`]: the callback cancelled
    /// and SQLite interrupted the statement. The inner one is the statement's own.
    pub(crate) fn watch_copy<R>(
        &self,
        conn: &Connection,
        table: &str,
        step: ProgressStep,
        (sql, total): (&str, Option<u64>),
        copy: impl FnOnce() -> rusqlite::Result<R>,
    ) -> Result<rusqlite::Result<R>> {
        let (Some(_), Some(total)) = (&self.callback, total) else {
            return Ok(copy());
        };
        let ops_per_row = match ops_per_row(conn, sql) {
            Ok(ops) => ops,
            Err(error) => return Ok(Err(error)),
        };
        let watched = Watched(&self.copy);
        *lock(watched.0) = Some(CopyWatch {
            table: table.to_owned(),
            step,
            total,
            ops_per_row,
            calls: 0,
            done: 0,
            next_report: Instant::now() + REPORT_EVERY,
            cancelled: false,
            panicked: None,
        });
        let result = copy();
        match watched.end() {
            Some(CopyWatch {
                panicked: Some(panic),
                ..
            }) => std::panic::resume_unwind(panic),
            Some(CopyWatch {
                cancelled: true, ..
            }) => Err(Error::Cancelled {
                table: table.to_owned(),
            }),
            _ => Ok(result),
        }
    }
}

/// A copy being watched: the watch ends when this is dropped, even if the copy unwinds, so
/// that the handler never reports a statement it does not watch.
struct Watched<'a>(&'a Mutex<Option<CopyWatch>>);

impl Watched<'_> {
    fn end(self) -> Option<CopyWatch> {
        lock(self.0).take()
    }
}

impl Drop for Watched<'_> {
    fn drop(&mut self) {
        lock(self.0).take();
    }
}

/// The virtual-machine instructions one row of `sql` takes, read off its `EXPLAIN`: the sum
/// of the bodies of its loops (each ends in a backward jump) up to the first `Halt` that ends
/// the statement successfully.
///
/// Stopping at that `Halt` matters for the transfer optimization, whose program holds the
/// transfer (a loop over the table, then one per index transferred) and, after it, the
/// row-by-row insert SQLite falls back to when the target is not empty; a copy into a fresh
/// table runs only the first. A loop body counts every instruction, though a row may skip
/// some (the `Halt` of a failed constraint, rows a reconcile leaves out), so the estimate
/// errs low: rows done are under-reported, never over. A program without a loop (no SQLite
/// has compiled one) counts as one row per pass through the whole program.
fn ops_per_row(conn: &Connection, sql: &str) -> rusqlite::Result<u64> {
    let mut explain = conn.prepare(&format!("EXPLAIN {sql}"))?;
    let program = explain
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let end = program
        .iter()
        .position(|(_, opcode, p1, _)| opcode == "Halt" && *p1 == 0)
        .unwrap_or(program.len());
    let per_row: i64 = program[..end]
        .iter()
        .filter(|(addr, opcode, _, p2)| {
            matches!(
                opcode.as_str(),
                "Next" | "Prev" | "Goto" | "SorterNext" | "VNext"
            ) && p2 < addr
        })
        .map(|(addr, _, _, p2)| addr - p2 + 1)
        .sum();
    Ok(if per_row > 0 {
        per_row as u64
    } else {
        program.len().max(1) as u64
    })
}

/// Locks, whether or not a callback panicked while holding the lock: what it guards stays
/// consistent (a counter, the callback itself).
fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explain_rows(schema: &str, sql: &str) -> u64 {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema).unwrap();
        ops_per_row(&conn, sql).unwrap()
    }

    #[test]
    fn a_transfer_counts_its_own_loops_not_the_fallback_insert() {
        let schema = "CREATE TABLE a (k TEXT NOT NULL PRIMARY KEY, x TEXT);
                      CREATE TABLE b (k TEXT NOT NULL PRIMARY KEY, x TEXT);";
        let transfer = explain_rows(schema, "INSERT INTO b SELECT * FROM a");
        let bulk = explain_rows(schema, "INSERT INTO b (k, x) SELECT k, upper(x) FROM a");
        assert!(transfer < bulk, "transfer {transfer}, bulk insert {bulk}");
        assert!((3..=12).contains(&transfer), "{transfer}");
    }

    #[test]
    fn the_estimate_grows_with_instructions_and_stays_within_the_total() {
        let callback: Callback = Arc::new(Mutex::new(|_: &Progress| ControlFlow::Continue(())));
        let mut watch = CopyWatch {
            table: "t".to_owned(),
            step: ProgressStep::Copy,
            total: 100,
            ops_per_row: 10,
            calls: 0,
            done: 0,
            next_report: Instant::now(),
            cancelled: false,
            panicked: None,
        };
        assert!(!watch.tick(&callback));
        assert_eq!(
            watch.done, 100,
            "1,000 instructions at 10 a row, capped at the total"
        );
    }
}
