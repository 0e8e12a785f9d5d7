//! What a migration will do on this database, decided before anything is written.
//!
//! [`migrate`](crate::migrate) and [`plan`](crate::plan()) share the deciding code (`planner`): `migrate`
//! computes the plan inside its write transaction and runs its statements in order; `plan`
//! returns it inside a read transaction, so users can review exactly what would run.

use std::fmt;

use crate::ledger::{CONFLICTS_TABLE, LEDGER_TABLE};
use crate::spec::TableSpec;
use crate::{CaptureStatus, LegacyTable, OnConflict};

/// What [`migrate`](crate::migrate) would run on a database now, statement by statement,
/// each with its reason. From [`plan`](crate::plan()), [`Table::plan`](crate::Table::plan) or
/// [`Migrator::plan`](crate::Migrator::plan); nothing is written to compute it.
///
/// Its `Display` is a commented SQL script.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The table the plan migrates.
    pub table: String,
    /// The statements, in the order `migrate` runs them. Empty when there is nothing to do.
    pub steps: Vec<PlannedStep>,
}

/// One statement of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    /// Why the statement runs.
    pub action: Action,
    /// The statement. The ledger's statement has parameters (`?1` ...) that `migrate` binds.
    pub sql: String,
}

/// Why a [`PlannedStep`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Create the migration ledger, `wrkflw_migrations`.
    CreateLedger,
    /// Create one of the change capture's tables: its conflict log `wrkflw_conflicts`, or
    /// `wrkflw_replaced_keys`, where it marks keys an `INSERT OR REPLACE` is replacing.
    CreateCaptureTable {
        /// The table.
        table: String,
    },
    /// Create the table: it does not exist yet.
    CreateTable,
    /// Rename a column of the table: the field was renamed, with
    /// `#[wrkflw(rename_from = "old")]`, since the table was created.
    RenameColumn {
        /// The column's name in the table.
        from: String,
        /// The field's name.
        to: String,
    },
    /// One statement of a table rebuild: the table differs from the struct in a way
    /// `ALTER TABLE` cannot express, so it is created anew under a temporary name, its rows
    /// are copied over, checked, and the old table is replaced (SQLite's documented
    /// twelve-step procedure).
    RebuildTable {
        /// Which statement of the rebuild.
        step: RebuildStep,
    },
    /// Add a column the struct gained since the table was created.
    AddColumn {
        /// The new column.
        column: String,
    },
    /// Fill a column just added from the legacy column that feeds it, for the rows already
    /// in the table.
    FillColumn {
        /// The column.
        column: String,
    },
    /// Create an index that does not exist yet.
    CreateIndex {
        /// The index.
        index: String,
    },
    /// Copy legacy rows into the table.
    Copy {
        /// Rows the copy will insert, as counted when the plan was made (by [`plan`](crate::plan()); `0`
        /// inside `migrate`, which does not count ahead).
        rows: u64,
        /// How the rows are selected and copied.
        path: CopyPath,
    },
    /// Drop a trigger of the change capture that is out of date or altered, before it is
    /// installed again.
    RemoveCapture {
        /// The trigger.
        trigger: String,
    },
    /// Install a trigger of the change capture on the legacy table.
    InstallCapture {
        /// The trigger.
        trigger: String,
    },
    /// Forget logged conflicts that are over: the legacy row is gone, or both tables now
    /// hold the same values.
    ForgetConflicts {
        /// How many entries.
        entries: u64,
    },
    /// Clear marks of keys being replaced that an `INSERT OR IGNORE` left behind.
    ClearReplacedKeys {
        /// How many marks.
        keys: u64,
    },
    /// Copy logged legacy rows whose key the table no longer holds.
    CopyConflictRows {
        /// How many rows.
        rows: u64,
    },
    /// Write logged legacy rows that the table could not hold when they were written (a
    /// NULL where it says `NOT NULL`) and now can.
    ApplyRejectedRows {
        /// How many rows.
        rows: u64,
    },
    /// Overwrite the table's rows with the legacy rows they conflict with
    /// ([`OnConflict::TakeLegacy`]).
    TakeLegacyRows {
        /// How many rows.
        rows: u64,
    },
    /// Mark conflicts settled under the policy.
    SettleConflicts {
        /// How many conflicts.
        conflicts: u64,
        /// The policy they are settled by.
        on_conflict: OnConflict,
    },
    /// Drop the legacy table; its indexes and the capture's triggers go with it.
    DropLegacy,
    /// Drop the legacy table of another table of the same `Migrator`, once every table has
    /// run: a legacy table of the run referenced it, and is gone now.
    DropLegacyOf {
        /// The legacy table.
        legacy_table: String,
    },
    /// Record the run in the ledger (rows copied, capture, conflicts, schema checksum).
    RecordLedger,
    /// Lock the legacy table against writes until the migration commits (PostgreSQL's
    /// `LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE`; reads go on): no write of an old
    /// deployment falls between the copy and the change capture, or the copy and the drop.
    /// `migrate` takes it before it reads the legacy table; `plan` does not take it.
    LockLegacy {
        /// The legacy table.
        legacy_table: String,
    },
    /// Change a column in place (PostgreSQL's `ALTER TABLE ... ALTER COLUMN`): the struct
    /// declares it otherwise, and planning checked that its rows allow the change.
    AlterColumn {
        /// The column.
        column: String,
        /// What changes.
        change: ColumnChange,
    },
    /// Drop a column no field keeps (PostgreSQL's `ALTER TABLE ... DROP COLUMN`): it holds
    /// only NULL, or the struct consents with `drop_columns`.
    DropColumn {
        /// The column.
        column: String,
    },
    /// Add a foreign key the struct declares (`references`), after checking that every row
    /// points at a row.
    AddForeignKey {
        /// The referencing column.
        column: String,
        /// The referenced table.
        parent: String,
    },
    /// Drop a foreign key the struct no longer declares, or declares otherwise.
    DropForeignKey {
        /// The constraint.
        constraint: String,
    },
    /// Create, or replace, the change capture's function (PostgreSQL), which its triggers on
    /// the legacy table execute.
    InstallCaptureFunction {
        /// The function.
        function: String,
    },
    /// Drop the change capture's function, with the legacy table it captured (PostgreSQL).
    RemoveCaptureFunction {
        /// The function.
        function: String,
    },
}

/// How an [`Action::AlterColumn`] changes a column.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnChange {
    /// Convert it to another type (`TYPE ... USING`); planning checked that every value
    /// converts and none changes.
    Type {
        /// The type it has, as the database names it.
        from: String,
        /// The field's type.
        to: String,
    },
    /// Make it `NOT NULL`; planning checked that it holds no NULL.
    SetNotNull,
    /// Let it hold NULL: the field became an `Option`.
    DropNotNull,
    /// Give it the field's default.
    SetDefault {
        /// The default expression.
        default: String,
    },
    /// Remove its default: the field has none.
    DropDefault,
}

impl fmt::Display for ColumnChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnChange::Type { from, to } => write!(f, "convert it from {from} to {to}"),
            ColumnChange::SetNotNull => f.write_str("make it NOT NULL"),
            ColumnChange::DropNotNull => f.write_str("let it hold NULL"),
            ColumnChange::SetDefault { default } => write!(f, "set its default to {default}"),
            ColumnChange::DropDefault => f.write_str("drop its default"),
        }
    }
}

/// One statement of a table rebuild ([`Action::RebuildTable`]), in the order they run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RebuildStep {
    /// Drop a view that uses the table; it is created again, as it was, after the rebuild.
    /// (Renaming the rebuilt table into place fails while a view uses a table that is gone.)
    DropView {
        /// The view.
        view: String,
    },
    /// Drop a trigger of another table that uses the table; created again after the
    /// rebuild (the change capture's own triggers are installed anew instead).
    DropTrigger {
        /// The trigger.
        trigger: String,
    },
    /// Create the table as the struct declares it, under a temporary name.
    CreateTable {
        /// The temporary name.
        temporary: String,
        /// Why the table is rebuilt: each difference `ALTER TABLE` cannot express.
        reasons: Vec<String>,
    },
    /// Copy every row into the new table, column by column by name; a column whose type
    /// changes is converted with `CAST` (planning checked that no value changes).
    Copy {
        /// Rows to copy, as counted when the plan was made (by [`plan`](crate::plan()); `0` inside
        /// `migrate`, which does not count ahead).
        rows: u64,
        /// Columns of the table that are not copied: no field keeps them.
        dropped: Vec<String>,
    },
    /// Check that the copy inserted as many rows as the old table holds: into a table
    /// created empty in this transaction, the copy inserts every row it reads or fails, and
    /// its keys are the old table's (a `CAST` was checked to change none), so equal counts
    /// prove every key arrived.
    Verify,
    /// Drop the old table; its indexes and triggers go with it.
    DropOld,
    /// Rename the new table to the table's name.
    Rename {
        /// The temporary name it had.
        temporary: String,
    },
    /// Create again an index of the table that the struct does not declare, as it was.
    RecreateIndex {
        /// The index.
        index: String,
    },
    /// Create again a trigger, as it was.
    RecreateTrigger {
        /// The trigger.
        trigger: String,
    },
    /// Create again a view, as it was.
    RecreateView {
        /// The view.
        view: String,
    },
    /// `PRAGMA foreign_key_check` of the table and of the tables whose foreign keys
    /// reference it: a violation fails the migration.
    CheckForeignKeys,
}

impl fmt::Display for RebuildStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RebuildStep::DropView { view } => {
                write!(f, "drop view {view}, to create it again after the rebuild")
            }
            RebuildStep::DropTrigger { trigger } => {
                write!(
                    f,
                    "drop trigger {trigger}, to create it again after the rebuild"
                )
            }
            RebuildStep::CreateTable { temporary, reasons } => write!(
                f,
                "create {temporary}, the table as the struct declares it: {}",
                reasons.join("; ")
            ),
            RebuildStep::Copy { rows, dropped } => {
                write!(
                    f,
                    "copy {rows} {} into it",
                    if *rows == 1 { "row" } else { "rows" }
                )?;
                if !dropped.is_empty() {
                    write!(f, ", without column {}", dropped.join(", "))?;
                }
                Ok(())
            }
            RebuildStep::Verify => f.write_str("check that every row arrived"),
            RebuildStep::DropOld => {
                f.write_str("drop the old table (its indexes and triggers go with it)")
            }
            RebuildStep::Rename { temporary } => {
                write!(f, "rename {temporary} to the table's name")
            }
            RebuildStep::RecreateIndex { index } => write!(f, "create index {index} again"),
            RebuildStep::RecreateTrigger { trigger } => {
                write!(f, "create trigger {trigger} again")
            }
            RebuildStep::RecreateView { view } => write!(f, "create view {view} again"),
            RebuildStep::CheckForeignKeys => {
                f.write_str("check the foreign keys of and into the table")
            }
        }
    }
}

/// How a migration copies legacy rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CopyPath {
    /// SQLite's transfer optimization, `INSERT INTO new SELECT * FROM legacy`, into the
    /// freshly created, empty table: rows are copied as stored records without being decoded
    /// and checked column by column. Taken when the legacy table has the same columns in the
    /// same order and SQLite confirms it would transfer (its `EXPLAIN` shows the transfer).
    /// When the legacy table has matching indexes, their entries are transferred too;
    /// otherwise the indexes are built after the copy.
    Transfer,
    /// `INSERT INTO new (columns) SELECT ... FROM legacy` into the freshly created, empty
    /// table, with its indexes built after the copy (faster than updating them row by row).
    BulkInsert,
    /// Every legacy row whose key the table lacks, compared by key over the whole legacy
    /// table; rows the table holds keep the table's values. Taken once when there is no
    /// change capture to rely on: the first run over a table migrated without wrkflw (by the
    /// original library, or by `migration_sql` run by hand), or after the capture was removed
    /// (the legacy table dropped and recreated, its triggers dropped). Rows deleted from the
    /// table while nothing captured the legacy table come back on this path.
    Reconcile,
}

impl fmt::Display for CopyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CopyPath::Transfer => "transfer optimization",
            CopyPath::BulkInsert => "bulk insert, indexes built after",
            CopyPath::Reconcile => "reconciled by key: rows whose key was missing",
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = |n: u64| if n == 1 { "row" } else { "rows" };
        match self {
            Action::CreateLedger => write!(f, "create the migration ledger {LEDGER_TABLE}"),
            Action::CreateCaptureTable { table } if table == CONFLICTS_TABLE => {
                write!(f, "create {table}, where the change capture logs conflicts")
            }
            Action::CreateCaptureTable { table } => write!(
                f,
                "create {table}, where the change capture marks keys being replaced"
            ),
            Action::CreateTable => f.write_str("create the table"),
            Action::RenameColumn { from, to } => {
                write!(
                    f,
                    "rename column {from} to {to}, as the struct's rename_from says"
                )
            }
            Action::RebuildTable { step } => write!(f, "rebuild: {step}"),
            Action::AddColumn { column } => write!(f, "add column {column}, new in the struct"),
            Action::FillColumn { column } => write!(
                f,
                "fill column {column} of the rows already here from the legacy table"
            ),
            Action::CreateIndex { index } => write!(f, "create index {index}"),
            Action::Copy { rows: n, path } => {
                write!(f, "copy {n} legacy {} ({path})", rows(*n))
            }
            Action::RemoveCapture { trigger } => {
                write!(f, "drop capture trigger {trigger}, to install it anew")
            }
            Action::InstallCapture { trigger } => write!(
                f,
                "install capture trigger {trigger}: carry every write to the legacy table over"
            ),
            Action::ForgetConflicts { entries } => write!(
                f,
                "forget {entries} logged {} that no longer conflict",
                if *entries == 1 { "key" } else { "keys" }
            ),
            Action::ClearReplacedKeys { keys } => write!(
                f,
                "clear {keys} stale {} of keys being replaced",
                if *keys == 1 { "mark" } else { "marks" }
            ),
            Action::CopyConflictRows { rows: n } => write!(
                f,
                "copy {n} logged legacy {} whose key the table no longer holds",
                rows(*n)
            ),
            Action::ApplyRejectedRows { rows: n } => write!(
                f,
                "write {n} logged legacy {} the table can now hold",
                rows(*n)
            ),
            Action::TakeLegacyRows { rows: n } => write!(
                f,
                "overwrite {n} conflicting {} with the legacy rows (OnConflict::TakeLegacy)",
                rows(*n)
            ),
            Action::SettleConflicts {
                conflicts,
                on_conflict,
            } => write!(
                f,
                "mark {conflicts} {} settled ({on_conflict:?})",
                if *conflicts == 1 {
                    "conflict"
                } else {
                    "conflicts"
                }
            ),
            Action::DropLegacy => {
                f.write_str("drop the legacy table (its indexes and capture triggers go with it)")
            }
            Action::DropLegacyOf { legacy_table } => write!(
                f,
                "drop the legacy table {legacy_table} last, after the legacy tables that reference it"
            ),
            Action::RecordLedger => write!(f, "record the run in {LEDGER_TABLE}"),
            Action::LockLegacy { legacy_table } => write!(
                f,
                "lock {legacy_table} against writes until commit, so that none falls between the copy and the capture"
            ),
            Action::AlterColumn { column, change } => {
                write!(f, "alter column {column}: {change}, as the struct declares it")
            }
            Action::DropColumn { column } => {
                write!(f, "drop column {column}, which no field keeps")
            }
            Action::AddForeignKey { column, parent } => {
                write!(f, "add the foreign key of column {column} to {parent}")
            }
            Action::DropForeignKey { constraint } => write!(
                f,
                "drop foreign key {constraint}, which the struct does not declare so"
            ),
            Action::InstallCaptureFunction { function } => write!(
                f,
                "create capture function {function}: carry every write to the legacy table over"
            ),
            Action::RemoveCaptureFunction { function } => {
                write!(f, "drop capture function {function}")
            }
        }
    }
}

impl fmt::Display for Plan {
    /// A commented script: `-- 1. create the table` above each statement.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return writeln!(f, "-- {}: nothing to do", self.table);
        }
        writeln!(f, "-- {}", self.table)?;
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(f, "-- {}. {}\n{};", i + 1, step.action, step.sql)?;
        }
        Ok(())
    }
}

/// Whether planning counts the rows each copy will insert (for `plan`) or skips that work
/// (inside `migrate`, which learns the count from the copy itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counting {
    Count,
    Skip,
}

/// Whether `migrate` may rebuild a table whose struct changed in a way `ALTER TABLE` cannot
/// express. Set with [`Migrator::rebuild`](crate::Migrator::rebuild).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rebuild {
    /// Rebuild the table when it needs it (the default), after checking that nothing would
    /// be lost.
    #[default]
    WhenNeeded,
    /// Never rebuild: such a difference is [`Error::SchemaDrift`](crate::Error::SchemaDrift), as `ALTER TABLE` alone
    /// cannot settle it. Renamed and added columns are still altered.
    Never,
}

/// What a table's plan needs to know of the `Migrator` run it is part of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The other tables of the run that read this table's legacy table.
    pub(crate) companions: &'a [&'static str],
    /// The tables of the run that come before this one. Their legacy rows count as there
    /// for this table's foreign keys, whether they ran already (`migrate`) or not (`plan`),
    /// so that the two agree.
    pub(crate) earlier: &'a [TableSpec],
    /// Legacy tables the run drops: their references to a legacy table do not stop its drop.
    pub(crate) dropped: &'a [&'static str],
    /// Legacy tables this table drops after its own steps, in order: those of the run's
    /// tables whose fate is [`LegacyFate::DroppedAtEnd`], when this table is the last.
    pub(crate) drops_at_end: &'a [&'static str],
    pub(crate) on_conflict: OnConflict,
    pub(crate) rebuild: Rebuild,
    pub(crate) counting: Counting,
    /// Stop planning as soon as a rebuild is needed (foreign keys are on).
    pub(crate) defer_rebuild: bool,
}

impl Context<'_> {
    /// A table planned on its own, as `migrate::<T>` and `plan::<T>` do.
    pub(crate) fn alone(counting: Counting) -> Context<'static> {
        Context {
            companions: &[],
            earlier: &[],
            dropped: &[],
            drops_at_end: &[],
            on_conflict: OnConflict::default(),
            rebuild: Rebuild::default(),
            counting,
            defer_rebuild: false,
        }
    }
}

/// What happens to the legacy table in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegacyFate {
    /// Kept, with the change capture on it.
    Keep,
    /// Dropped after this table's copy.
    Drop,
    /// Dropped by a later table of the same `Migrator` that reads it too: this table copies
    /// and leaves the dropping to that one.
    DroppedLater,
    /// Dropped once every table of the `Migrator` has run, by the last one: another legacy
    /// table of the run references it, and goes first.
    DroppedAtEnd,
}

impl From<LegacyTable> for LegacyFate {
    fn from(legacy: LegacyTable) -> LegacyFate {
        match legacy {
            LegacyTable::Keep => LegacyFate::Keep,
            LegacyTable::Drop => LegacyFate::Drop,
        }
    }
}

/// The change capture found on a legacy table, against what the struct installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// Exactly as this struct installs it.
    Intact,
    /// As an earlier shape of the struct installed it (the ledger's checksum): the capture
    /// ran without a gap and only needs replacing.
    Outdated,
    /// Recorded in the ledger but missing or changed: writes may have gone uncaptured.
    Altered,
    /// Never installed (the ledger records none).
    Absent,
}

impl Found {
    /// The capture after a run that leaves the legacy table to `fate`, for the report. A
    /// table whose legacy table a later table of the run drops ends the run without one too.
    pub(crate) fn status(self, fate: LegacyFate) -> Option<CaptureStatus> {
        let dropped = matches!(
            fate,
            LegacyFate::Drop | LegacyFate::DroppedLater | LegacyFate::DroppedAtEnd
        );
        match (dropped, self) {
            (true, Found::Absent) => None,
            (true, _) => Some(CaptureStatus::Removed),
            (false, Found::Intact) => Some(CaptureStatus::Active),
            (false, Found::Outdated) => Some(CaptureStatus::Updated),
            (false, Found::Altered) => Some(CaptureStatus::Restored),
            (false, Found::Absent) => Some(CaptureStatus::Installed),
        }
    }
}
