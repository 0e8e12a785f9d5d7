//! What a migration did, and how many rows each table holds.

use std::fmt;

use crate::CopyPath;

/// What [`migrate`](crate::migrate) did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationReport {
    /// The new table, e.g. `wrkflw_workflow_runs`.
    pub table: String,
    /// The legacy table it migrates from (`rename_from`), whether or not it was found.
    pub legacy_table: Option<String>,
    /// Whether the legacy table existed when the migration ran.
    pub legacy_found: bool,
    /// Whether this run created the new table (`false`: it was already there).
    pub table_created: bool,
    /// Rows this run actually inserted into the new table (not the size of the legacy table).
    pub rows_copied: u64,
    /// Whether this run dropped the legacy table.
    pub legacy_dropped: bool,
    /// How this run copied legacy rows; `None` when it copied nothing.
    pub copy_path: Option<CopyPath>,
    /// Columns this run added to the existing table (`ALTER TABLE ... ADD COLUMN`): fields
    /// the struct gained, nullable or with a default.
    pub columns_added: Vec<String>,
    /// Columns this run renamed, as (old name, new name): fields renamed with
    /// `#[wrkflw(rename_from = "...")]` since the table was created.
    pub columns_renamed: Vec<(String, String)>,
    /// Whether this run rebuilt the table: it differed from the struct in a way
    /// `ALTER TABLE` cannot express.
    pub rebuilt: bool,
    /// Columns this run discarded, by a rebuild (SQLite) or `ALTER TABLE ... DROP COLUMN`
    /// (PostgreSQL): no field keeps them (they held only NULL, or the struct consented with
    /// `drop_columns`).
    pub columns_dropped: Vec<String>,
    /// Columns this run changed in place (PostgreSQL's `ALTER TABLE ... ALTER COLUMN`): their
    /// type, `NOT NULL` or default, as the struct now declares them. SQLite rebuilds the table
    /// instead ([`MigrationReport::rebuilt`]).
    pub columns_altered: Vec<String>,
    /// Columns the legacy table lacks, filled with their default or NULL.
    pub defaulted_columns: Vec<String>,
    /// Legacy columns that no field reads: their values were not copied.
    pub legacy_only_columns: Vec<String>,
    /// The change capture on the legacy table after this run; `None` when there is none
    /// (no legacy table, or one dropped in the run that first copied it).
    pub capture: Option<CaptureStatus>,
    /// On a [`CopyPath::Reconcile`] run: legacy rows whose key the table holds with other
    /// values. The table's row was kept; with no capture to tell which side wrote last, a
    /// reconcile cannot know which is newer.
    pub rows_differing: u64,
    /// Keys (as SQL literals) of the conflicts this run settled under the migrator's
    /// [`OnConflict`](crate::OnConflict): legacy rows whose key the table holds for another
    /// row. `wrkflw_conflicts` keeps them.
    pub conflicts: Vec<String>,
}

/// The state of the change capture on a kept legacy table, in a [`MigrationReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CaptureStatus {
    /// This run installed it: the first run that keeps the legacy table.
    Installed,
    /// It was installed and intact: every write to the legacy table since the last run was
    /// carried over as it happened.
    Active,
    /// It was installed for an earlier shape of the struct (a column added or renamed); this
    /// run replaced its triggers. Nothing went uncaptured.
    Updated,
    /// It was found missing or changed (the legacy table dropped and recreated, or its
    /// triggers dropped by hand): writes may have gone uncaptured, so this run reconciled
    /// the tables by key ([`CopyPath::Reconcile`]) and installed it again.
    Restored,
    /// Dropped with the legacy table in this run.
    Removed,
}

impl fmt::Display for CaptureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaptureStatus::Installed => "change capture installed",
            CaptureStatus::Active => "change capture active",
            CaptureStatus::Updated => "change capture updated",
            CaptureStatus::Restored => {
                "change capture was missing: reconciled by key and installed again"
            }
            CaptureStatus::Removed => "change capture removed",
        })
    }
}

impl fmt::Display for MigrationReport {
    /// One line, e.g. `wrkflw_workflow_runs: created; copied 3000 rows from workflow_runs; kept workflow_runs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.table)?;
        f.write_str(if self.table_created {
            "created"
        } else {
            "already existed"
        })?;
        if !self.columns_renamed.is_empty() {
            let renamed: Vec<String> = self
                .columns_renamed
                .iter()
                .map(|(from, to)| format!("{from} to {to}"))
                .collect();
            write!(f, "; renamed columns {}", renamed.join(", "))?;
        }
        if self.rebuilt {
            f.write_str("; rebuilt")?;
            if !self.columns_dropped.is_empty() {
                write!(f, " without columns {}", self.columns_dropped.join(", "))?;
            }
        }
        if !self.rebuilt && !self.columns_dropped.is_empty() {
            write!(f, "; dropped columns {}", self.columns_dropped.join(", "))?;
        }
        if !self.columns_altered.is_empty() {
            write!(f, "; altered columns {}", self.columns_altered.join(", "))?;
        }
        if !self.columns_added.is_empty() {
            write!(f, "; added columns {}", self.columns_added.join(", "))?;
        }
        match (&self.legacy_table, self.legacy_found) {
            (None, _) => Ok(()),
            (Some(legacy), false) => write!(f, "; no legacy table {legacy} found, nothing to copy"),
            (Some(legacy), true) => {
                let noun = if self.rows_copied == 1 { "row" } else { "rows" };
                write!(f, "; copied {} {noun} from {legacy}", self.rows_copied)?;
                match self.copy_path {
                    Some(path) => write!(f, " ({path})")?,
                    None => f.write_str(" (none new)")?,
                }
                if !self.defaulted_columns.is_empty() {
                    write!(
                        f,
                        "; not in {legacy}, left to their defaults: {}",
                        self.defaulted_columns.join(", ")
                    )?;
                }
                if !self.legacy_only_columns.is_empty() {
                    write!(
                        f,
                        "; only in {legacy}, not copied: {}",
                        self.legacy_only_columns.join(", ")
                    )?;
                }
                if self.rows_differing > 0 {
                    write!(
                        f,
                        "; {} {} in {legacy} {} other values under the same key (kept the table's)",
                        self.rows_differing,
                        if self.rows_differing == 1 {
                            "row"
                        } else {
                            "rows"
                        },
                        if self.rows_differing == 1 {
                            "has"
                        } else {
                            "have"
                        }
                    )?;
                }
                if !self.conflicts.is_empty() {
                    let shown: Vec<&str> =
                        self.conflicts.iter().take(5).map(String::as_str).collect();
                    write!(
                        f,
                        "; settled {} {} (keys {}{})",
                        self.conflicts.len(),
                        if self.conflicts.len() == 1 {
                            "conflict"
                        } else {
                            "conflicts"
                        },
                        shown.join(", "),
                        if self.conflicts.len() > 5 {
                            ", ..."
                        } else {
                            ""
                        }
                    )?;
                }
                if self.legacy_dropped {
                    write!(f, "; dropped {legacy}")?;
                } else {
                    write!(f, "; kept {legacy}")?;
                }
                match self.capture {
                    Some(capture) => write!(f, "; {capture}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Row counts of a table and its legacy table, from [`row_counts`](crate::row_counts): the
/// first thing to look at when data seems to be missing after a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowCounts {
    /// Rows in the new table.
    pub table: u64,
    /// Rows in the legacy table; `None` when it does not exist (dropped, or never there).
    pub legacy: Option<u64>,
}

impl fmt::Display for RowCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows in the table", self.table)?;
        match self.legacy {
            Some(legacy) => write!(f, ", {legacy} in the legacy table"),
            None => f.write_str(", no legacy table"),
        }
    }
}
