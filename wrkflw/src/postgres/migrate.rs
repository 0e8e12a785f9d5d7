//! Running migrations on PostgreSQL: one `READ COMMITTED` transaction that takes the
//! migration lock, plans every statement of each table from the catalog (see
//! [`planner`](super::planner)), runs exactly those statements in order, verifies each copy
//! and settlement and records the run in the ledger. Any error rolls the whole transaction
//! back: PostgreSQL's DDL is transactional, so the database is as it was.

use std::time::Duration;

use ::postgres::error::SqlState;
use ::postgres::{Client, IsolationLevel, SimpleQueryMessage, Transaction};

use super::catalog;
use super::checks;
use super::conflicts::{self, Settled};
use super::failure::failed;
use super::ledger;
use super::lock;
use super::planner::{self, Context, LegacyPlan, Snapshot, TablePlan};
use super::spec::PgSpec;
use super::PgTable;
use crate::order::{by_references, in_added_order};
use crate::plan::{Action, CopyPath, LegacyFate, Plan};
use crate::{Error, LegacyTable, MigrationReport, OnConflict, Result, Step};

/// How long a PostgreSQL migration waits for the migration lock another migrator holds, or
/// for a table lock, before it gives up with [`Error::Busy`], unless
/// [`PgMigrator::lock_timeout`] says otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates `T`'s table and indexes on PostgreSQL and migrates its legacy table, if any, in
/// one transaction.
///
/// - Fresh database: creates the table and indexes, reports `legacy_found: false`.
/// - Legacy table present, first run: locks the legacy table against writes, creates the
///   table, installs the change capture (with [`LegacyTable::Keep`]), copies every legacy
///   row with `INSERT ... SELECT ... ON CONFLICT (key) DO NOTHING` (converting a legacy
///   column whose type differs: JSON held as `text` into `jsonb`, `0`/`1` integers into
///   `boolean`, ...), builds the indexes after the copy, and checks that every legacy key
///   arrived. Legacy rows the table cannot hold are refused before anything is written, with
///   a typed error naming the column and sample keys.
/// - Re-runs read the catalog, the ledger and the conflict log, and no legacy row when the
///   capture is intact: every write an old deployment made since went through it. They
///   settle the conflicts it logged under [`OnConflict`]. A capture found missing or altered
///   is reconciled by key once and installed again.
/// - The table differs from the struct: altered in place (`ALTER TABLE`), each change checked
///   against its rows first; see [`PgMigrator`].
/// - With [`LegacyTable::Drop`] the legacy table and the capture's function are dropped
///   after the check, in the same transaction.
///
/// Waits up to [`DEFAULT_LOCK_TIMEOUT`] for another migrator. On any error the transaction
/// rolls back. [`plan`] shows what a call would run, without running it.
///
/// See [`crate::postgres`] for the design: the lock, the capture, and what differs from SQLite.
pub fn migrate<T: PgTable>(client: &mut Client, legacy: LegacyTable) -> Result<MigrationReport> {
    let mut reports = PgMigrator::new().table::<T>().run(client, legacy)?;
    Ok(reports.remove(0))
}

/// The statements [`migrate`] would run for `T` on this database now, each with its reason,
/// without writing anything: planned as `migrate` plans them, in a transaction that is
/// rolled back. The legacy table's lock is listed, not taken.
pub fn plan<T: PgTable>(client: &mut Client, legacy: LegacyTable) -> Result<Plan> {
    let mut plans = PgMigrator::new().table::<T>().plan(client, legacy)?;
    Ok(plans.remove(0))
}

/// Migrates several tables on PostgreSQL, all in one transaction: either every table is
/// migrated or none is.
///
/// Tables run in the order added, except that a table runs after the tables its
/// `references` columns name (tables that reference each other in a cycle are
/// [`Error::ForeignKeyCycle`]); legacy tables that other legacy tables of the run
/// reference are dropped last, referencing ones first.
///
/// ```no_run
/// use std::time::Duration;
/// use wrkflw::postgres::{NoTls, PgMigrator};
/// use wrkflw::{wrkflw_table, LegacyTable, OnConflict};
///
/// #[wrkflw_table(rename_from = "workflow_runs")]
/// struct WorkflowRun { #[wrkflw(primary_key)] run_id: String }
///
/// let mut client = wrkflw::postgres::Client::connect("host=localhost user=app", NoTls)?;
/// let reports = PgMigrator::new()
///     .table::<WorkflowRun>()
///     .lock_timeout(Duration::from_secs(30))
///     .on_conflict(OnConflict::KeepTable)
///     .run(&mut client, LegacyTable::Keep)?;
/// println!("{}", reports[0]);
/// # Ok::<(), wrkflw::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PgMigrator {
    tables: Vec<PgSpec>,
    lock_timeout: Duration,
    on_conflict: OnConflict,
}

impl Default for PgMigrator {
    fn default() -> PgMigrator {
        PgMigrator {
            tables: Vec::new(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            on_conflict: OnConflict::default(),
        }
    }
}

impl PgMigrator {
    /// A migrator with no tables.
    pub fn new() -> PgMigrator {
        PgMigrator::default()
    }

    /// Adds `T` after the tables added so far.
    #[must_use]
    pub fn table<T: PgTable>(mut self) -> PgMigrator {
        self.tables.push(PgSpec::of::<T>());
        self
    }

    /// How long to wait for the migration lock another migrator holds (see
    /// [`MIGRATION_LOCK_KEY`](super::MIGRATION_LOCK_KEY)), and, inside the migration, for each
    /// table lock (the legacy table's, held by an old deployment's open transaction; the
    /// table's, for an `ALTER TABLE`), before failing with [`Error::Busy`]. Default
    /// [`DEFAULT_LOCK_TIMEOUT`]. The table locks' wait is the transaction's own
    /// `SET LOCAL lock_timeout`; the session's setting is left as it is.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> PgMigrator {
        self.lock_timeout = timeout;
        self
    }

    /// How to settle legacy rows whose key the table holds for another row. Default
    /// [`OnConflict::Fail`].
    #[must_use]
    pub fn on_conflict(mut self, on_conflict: OnConflict) -> PgMigrator {
        self.on_conflict = on_conflict;
        self
    }

    /// The generated script of each table ([`PgTable::pg_migration_sql`]), as (table,
    /// script), in the order added: for review, or for running by hand.
    pub fn migration_sql(&self, legacy: LegacyTable) -> Vec<(&'static str, &'static str)> {
        self.tables
            .iter()
            .map(|spec| (spec.table, (spec.migration_sql)(legacy)))
            .collect()
    }

    /// Migrates every table in one transaction, and returns one report per table, in the
    /// order added. On error nothing is changed.
    pub fn run(&self, client: &mut Client, legacy: LegacyTable) -> Result<Vec<MigrationReport>> {
        let (ordered, added_at) = self.in_reference_order()?;
        let first = ordered.first().map_or("", |t| t.table);
        let timeout = self.lock_timeout;
        refuse_open_transaction(client, first, timeout)?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .map_err(failed(first, Step::Begin, timeout))?;
        settings(&mut tx, first, timeout)?;
        lock::acquire(&mut tx, first, timeout)?;
        let schema = schema(&mut tx, first, timeout)?;
        let drops = drops(&mut tx, &schema, &ordered, legacy, timeout)?;
        let mut reports = Vec::with_capacity(ordered.len());
        for (i, spec) in ordered.iter().enumerate() {
            let companions = companions(&ordered, i);
            let context = self.context(&ordered, i, &companions, &drops);
            let fate = fate(&ordered, i, legacy, &drops);
            let mut snapshot = Snapshot::read(&mut tx, spec, &schema, timeout)?;
            let locks = planner::lock_steps(spec, &snapshot, fate)?;
            if !locks.is_empty() {
                for step in &locks {
                    tx.batch_execute(&step.sql).map_err(failed(
                        spec.table,
                        Step::LockLegacy,
                        timeout,
                    ))?;
                }
                // What the catalog holds now that no one can write the legacy table.
                snapshot = Snapshot::read(&mut tx, spec, &schema, timeout)?;
            }
            let plan = TablePlan::new(&mut tx, spec, &snapshot, fate, &context, locks)?;
            let run = Run { spec, timeout };
            reports.push(run.run(&mut tx, plan)?);
        }
        // A table dropped at the end reports it once the last table has run.
        for (i, report) in reports.iter_mut().enumerate() {
            report.legacy_dropped |= fate(&ordered, i, legacy, &drops) == LegacyFate::DroppedAtEnd;
        }
        tx.commit().map_err(failed(first, Step::Commit, timeout))?;
        Ok(in_added_order(reports, &added_at))
    }

    /// What [`PgMigrator::run`] would run now, one [`Plan`] per table in the order added,
    /// without writing anything: each table is planned against the database as it is (a
    /// later table's plan does not assume an earlier one ran), in one transaction that sees
    /// one snapshot and is rolled back.
    pub fn plan(&self, client: &mut Client, legacy: LegacyTable) -> Result<Vec<Plan>> {
        let (ordered, added_at) = self.in_reference_order()?;
        let first = ordered.first().map_or("", |t| t.table);
        let timeout = self.lock_timeout;
        refuse_open_transaction(client, first, timeout)?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()
            .map_err(failed(first, Step::Begin, timeout))?;
        settings(&mut tx, first, timeout)?;
        let schema = schema(&mut tx, first, timeout)?;
        let drops = drops(&mut tx, &schema, &ordered, legacy, timeout)?;
        let mut plans = Vec::with_capacity(ordered.len());
        for (i, spec) in ordered.iter().enumerate() {
            let companions = companions(&ordered, i);
            let context = self.context(&ordered, i, &companions, &drops);
            let fate = fate(&ordered, i, legacy, &drops);
            let snapshot = Snapshot::read(&mut tx, spec, &schema, timeout)?;
            let locks = planner::lock_steps(spec, &snapshot, fate)?;
            plans.push(TablePlan::new(&mut tx, spec, &snapshot, fate, &context, locks)?.plan);
        }
        tx.rollback()
            .map_err(failed(first, Step::Commit, timeout))?;
        Ok(in_added_order(plans, &added_at))
    }

    /// The tables in the order they run, and each one's position as added.
    fn in_reference_order(&self) -> Result<(Vec<PgSpec>, Vec<usize>)> {
        let tables: Vec<_> = self.tables.iter().map(|t| (t.table, t.columns)).collect();
        let order = by_references(&tables)?;
        let ordered = order.iter().map(|&i| self.tables[i].clone()).collect();
        Ok((ordered, order))
    }

    fn context<'a>(
        &self,
        ordered: &'a [PgSpec],
        i: usize,
        companions: &'a [&'static str],
        drops: &'a Drops,
    ) -> Context<'a> {
        let last = i + 1 == ordered.len();
        Context {
            companions,
            earlier: &ordered[..i],
            dropped: &drops.dropped,
            drops_at_end: if last { &drops.at_end } else { &[] },
            on_conflict: self.on_conflict,
            timeout: self.lock_timeout,
        }
    }
}

/// The transaction's own settings: table locks wait as long as the migrator allows, and a
/// client that dies mid-statement (killed, its connection cut) is noticed within a second
/// while the statement runs, so that its transaction rolls back and releases the migration
/// lock without waiting for the statement to end (`client_connection_check_interval`,
/// PostgreSQL 14 and later on Linux; elsewhere the server notices when the statement ends).
/// `row_security = off`: a query that a row-level security policy would filter for this role
/// fails instead ([`Error::RowLevelSecurity`]), so that no copy or check sees fewer legacy rows
/// than there are.
/// Refuses a client inside a transaction of its own: the driver would send `BEGIN` anyway
/// (PostgreSQL only warns), and the migration's `COMMIT` or rollback would end the caller's
/// transaction with it. `statement_timestamp()` equals `transaction_timestamp()` only in a
/// statement's own transaction (the simple protocol sends this query as one message); inside
/// a `BEGIN` they differ, and inside an aborted transaction the query fails.
fn refuse_open_transaction(client: &mut Client, table: &str, timeout: Duration) -> Result<()> {
    let in_transaction = || Error::InTransaction {
        table: table.to_owned(),
    };
    let answer = match client.simple_query("SELECT statement_timestamp() = transaction_timestamp()")
    {
        Ok(answer) => answer,
        Err(error) if error.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => {
            return Err(in_transaction())
        }
        Err(error) => return Err(failed(table, Step::Begin, timeout)(error)),
    };
    let own = answer.iter().find_map(|message| match message {
        SimpleQueryMessage::Row(row) => row.get(0).map(|value| value == "t"),
        _ => None,
    });
    match own {
        Some(true) => Ok(()),
        _ => Err(in_transaction()),
    }
}

fn settings(tx: &mut Transaction<'_>, table: &str, timeout: Duration) -> Result<()> {
    let millis = timeout.as_millis().clamp(1, i32::MAX as u128);
    tx.batch_execute(&format!(
        "SET LOCAL lock_timeout = {millis};
         SET LOCAL row_security = off;
         SELECT set_config('client_connection_check_interval', '1000', true)
         WHERE current_setting('server_version_num')::int >= 140000"
    ))
    .map_err(failed(table, Step::Begin, timeout))
}

/// The schema the migration works in: `current_schema()`, the first schema of the
/// `search_path` that exists. When none does, the query fails with a message saying so; when
/// it is the session's temporary schema (`pg_temp` first), [`Error::TemporarySchema`].
fn schema(tx: &mut Transaction<'_>, table: &str, timeout: Duration) -> Result<String> {
    let (schema, temporary): (String, bool) = tx
        .query_one(
            "SELECT coalesce(current_schema()::text,
               ('no schema of the search_path (' || current_setting('search_path')
                || ') exists; create one or set search_path')::int::text),
             coalesce((SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
               = pg_catalog.pg_my_temp_schema(), false)",
            &[],
        )
        .and_then(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .map_err(failed(table, Step::Inspect, timeout))?;
    if temporary {
        return Err(Error::TemporarySchema {
            table: table.to_owned(),
            schema,
        });
    }
    Ok(schema)
}

/// The other tables of the run that read table `i`'s legacy table.
fn companions(ordered: &[PgSpec], i: usize) -> Vec<&'static str> {
    let Some(legacy) = ordered[i].legacy else {
        return Vec::new();
    };
    ordered
        .iter()
        .enumerate()
        .filter(|(j, t)| *j != i && t.legacy == Some(legacy))
        .map(|(_, t)| t.table)
        .collect()
}

/// The legacy tables a run drops, and those dropped once every table has run, group by
/// group: the ones other legacy tables of the run reference, referencing ones first (a
/// cycle, which PostgreSQL drops only together, as one group).
#[derive(Debug, Default)]
struct Drops {
    dropped: Vec<&'static str>,
    at_end: Vec<Vec<&'static str>>,
}

fn drops(
    tx: &mut Transaction<'_>,
    schema: &str,
    ordered: &[PgSpec],
    legacy: LegacyTable,
    timeout: Duration,
) -> Result<Drops> {
    if legacy != LegacyTable::Drop {
        return Ok(Drops::default());
    }
    let first = ordered.first().map_or("", |t| t.table);
    let inspect = failed(first, Step::Inspect, timeout);
    let mut dropped: Vec<&'static str> = Vec::new();
    for name in ordered.iter().filter_map(|t| t.legacy) {
        if !dropped.contains(&name) {
            dropped.push(name);
        }
    }
    let relations = catalog::relations(tx, schema, &dropped).map_err(&inspect)?;
    // Each legacy table with the legacy tables of the run that reference it.
    let mut referenced: Vec<(&'static str, Vec<String>)> = Vec::new();
    for name in &dropped {
        let Some((_, relation)) = relations.iter().find(|(n, r)| n == name && r.is_table()) else {
            continue;
        };
        let by: Vec<String> = catalog::referencing_tables(tx, relation.oid)
            .map_err(&inspect)?
            .into_iter()
            .filter(|t| dropped.contains(&t.as_str()))
            .collect();
        if !by.is_empty() {
            referenced.push((name, by));
        }
    }
    let mut at_end = Vec::new();
    while !referenced.is_empty() {
        let free = referenced.iter().rposition(|(_, by)| {
            !by.iter()
                .any(|t| referenced.iter().any(|(other, _)| other == t))
        });
        match free {
            Some(at) => at_end.push(vec![referenced.remove(at).0]),
            None => at_end.push(referenced.drain(..).map(|(name, _)| name).collect()),
        }
    }
    Ok(Drops { dropped, at_end })
}

/// A legacy table that a later table reads too is dropped by that one, after its copy.
fn fate(ordered: &[PgSpec], i: usize, legacy: LegacyTable, drops: &Drops) -> LegacyFate {
    let own = ordered[i].legacy;
    let shared = own.is_some_and(|name| {
        ordered[i + 1..]
            .iter()
            .any(|later| later.legacy == Some(name))
    });
    let at_end = own.is_some_and(|name| drops.at_end.iter().flatten().any(|l| *l == name));
    match legacy {
        LegacyTable::Drop if at_end => LegacyFate::DroppedAtEnd,
        LegacyTable::Drop if shared => LegacyFate::DroppedLater,
        legacy => legacy.into(),
    }
}

/// One table's migration inside the open transaction: runs its plan's statements in order.
struct Run<'a> {
    spec: &'a PgSpec,
    timeout: Duration,
}

impl Run<'_> {
    fn fail(&self, step: Step) -> impl Fn(::postgres::Error) -> Error + '_ {
        failed(self.spec.table, step, self.timeout)
    }

    fn execute(&self, tx: &mut Transaction<'_>, sql: &str, step: Step) -> Result<u64> {
        tx.execute(sql, &[]).map_err(self.fail(step))
    }

    /// Runs the plan's statements (its locks were taken before it was made), checking each
    /// copy and the settlement, and reports.
    fn run(&self, tx: &mut Transaction<'_>, plan: TablePlan) -> Result<MigrationReport> {
        let mut report = MigrationReport {
            table: self.spec.table.to_owned(),
            legacy_table: self.spec.legacy.map(str::to_owned),
            legacy_found: plan.legacy.is_some(),
            table_created: !plan.table_existed,
            rows_copied: 0,
            legacy_dropped: false,
            copy_path: None,
            columns_added: plan.columns_added.clone(),
            columns_renamed: plan.columns_renamed.clone(),
            rebuilt: false,
            columns_dropped: plan.columns_dropped.clone(),
            columns_altered: plan.columns_altered.clone(),
            defaulted_columns: Vec::new(),
            legacy_only_columns: Vec::new(),
            capture: None,
            rows_differing: 0,
            conflicts: Vec::new(),
        };
        if let Some(legacy) = &plan.legacy {
            report.defaulted_columns = legacy.link.defaulted.clone();
            report.legacy_only_columns = legacy.link.legacy_only.clone();
            report.capture = legacy.capture;
            report.conflicts = legacy.conflicts.clone();
        }
        let steps = &plan.plan.steps;
        for (i, step) in steps.iter().enumerate() {
            match &step.action {
                // Taken before the plan was made.
                Action::LockLegacy { .. } => {}
                Action::Copy { path, .. } => {
                    let legacy = self.legacy(&plan)?;
                    let copied = self.execute(tx, &step.sql, Step::Copy)?;
                    report.rows_copied += copied;
                    report.copy_path = Some(*path);
                    report.rows_differing = self.verify_copy(tx, legacy, *path, copied)?;
                }
                Action::CopyConflictRows { .. } => {
                    report.rows_copied += self.execute(tx, &step.sql, Step::Settle)?;
                }
                Action::ForgetConflicts { .. }
                | Action::ApplyRejectedRows { .. }
                | Action::TakeLegacyRows { .. }
                | Action::SettleConflicts { .. } => {
                    self.execute(tx, &step.sql, Step::Settle)?;
                }
                Action::RecordLedger => {
                    let mut entry = plan.entry.clone();
                    entry.rows_copied += report.rows_copied;
                    entry.conflicts_settled += report.conflicts.len() as u64;
                    ledger::record(tx, &step.sql, self.spec.table, &entry)
                        .map_err(self.fail(Step::Ledger))?;
                }
                action => {
                    self.execute(tx, &step.sql, step_of(action))?;
                    report.legacy_dropped |= matches!(action, Action::DropLegacy);
                }
            }
            // After the last statement of a settlement, nothing may be left pending.
            if settling(&step.action) && !steps.get(i + 1).is_some_and(|s| settling(&s.action)) {
                self.verify_settled(tx, self.legacy(&plan)?)?;
            }
        }
        Ok(report)
    }

    fn legacy<'p>(&self, plan: &'p TablePlan) -> Result<&'p LegacyPlan> {
        plan.legacy.as_ref().ok_or_else(|| Error::NoSuchTable {
            table: self.spec.legacy.unwrap_or_default().to_owned(),
        })
    }

    /// Proves the copy delivered every legacy row, and returns how many legacy rows the table
    /// holds under their key with other values (kept, on a reconcile).
    ///
    /// Into a fresh table the copy inserts every row it reads or fails, and planning refused
    /// keys the legacy table holds twice: inserting as many rows as the legacy table held
    /// (counted under the lock, before the copy) proves every key arrived, without reading
    /// the rows again. A reconcile compares the whole legacy table with the table by key.
    fn verify_copy(
        &self,
        tx: &mut Transaction<'_>,
        legacy: &LegacyPlan,
        path: CopyPath,
        copied: u64,
    ) -> Result<u64> {
        let link = &legacy.link;
        let fail = self.fail(Step::Verify);
        let (missing, differing) = match path {
            CopyPath::Reconcile => checks::compare_by_key(tx, link).map_err(&fail)?,
            _ => (u64::from(copied < legacy.rows_to_copy), 0),
        };
        if missing > 0 {
            let (missing, sample_keys) = checks::missing_keys(tx, link).map_err(&fail)?;
            return Err(Error::MissingRows {
                table: link.table.to_owned(),
                legacy_table: link.legacy.to_owned(),
                missing: missing.max(legacy.rows_to_copy.saturating_sub(copied)),
                sample_keys,
            });
        }
        Ok(differing)
    }

    /// After a settlement, nothing may be left pending: every logged row was copied or
    /// applied (and now matches), or settled under the policy.
    fn verify_settled(&self, tx: &mut Transaction<'_>, legacy: &LegacyPlan) -> Result<()> {
        let logged =
            conflicts::read(tx, &legacy.link, &|_| true).map_err(self.fail(Step::Verify))?;
        let left: Vec<String> = logged
            .iter()
            .filter(|e| e.settled == Settled::Pending)
            .map(|e| e.key.clone())
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        Err(Error::MissingRows {
            table: legacy.link.table.to_owned(),
            legacy_table: legacy.link.legacy.to_owned(),
            missing: left.len() as u64,
            sample_keys: left.into_iter().take(5).collect(),
        })
    }
}

fn settling(action: &Action) -> bool {
    matches!(
        action,
        Action::ForgetConflicts { .. }
            | Action::CopyConflictRows { .. }
            | Action::ApplyRejectedRows { .. }
            | Action::TakeLegacyRows { .. }
            | Action::SettleConflicts { .. }
    )
}

/// The step an error of a statement is reported under.
fn step_of(action: &Action) -> Step {
    match action {
        Action::CreateLedger | Action::RecordLedger => Step::Ledger,
        Action::CreateCaptureTable { .. }
        | Action::InstallCaptureFunction { .. }
        | Action::InstallCapture { .. }
        | Action::RemoveCapture { .. }
        | Action::RemoveCaptureFunction { .. } => Step::Capture,
        Action::CreateTable => Step::CreateTable,
        Action::RenameColumn { .. } => Step::RenameColumn,
        Action::AddColumn { .. } | Action::FillColumn { .. } => Step::AddColumn,
        Action::CreateIndex { .. } => Step::CreateIndex,
        Action::DropLegacy | Action::DropLegacyOf { .. } => Step::DropLegacy,
        Action::LockLegacy { .. } => Step::LockLegacy,
        Action::Copy { .. } => Step::Copy,
        _ => Step::AlterTable,
    }
}
