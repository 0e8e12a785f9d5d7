//! What each command prints, as text for people and as the JSON of the module docs for
//! scripts. The JSON is built from the library's own types here, field by field, so that a
//! change to them cannot change the documented shape unnoticed.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::{
    Action, CaptureStatus, CopyPath, Error, LastRun, LegacyTable, MigrationReport, Plan,
    TableStatus,
};

use super::{Failure, Format};

/// The version of the JSON shape, in every object.
const SCHEMA_VERSION: u64 = 1;

/// A command's result.
pub(crate) enum Output {
    Status {
        database: String,
        tables: Vec<TableStatus>,
        check: bool,
    },
    Plan {
        database: String,
        legacy: LegacyTable,
        plans: Vec<Plan>,
    },
    Migrate {
        database: String,
        legacy: LegacyTable,
        reports: Vec<MigrationReport>,
    },
    Sql {
        legacy: LegacyTable,
        scripts: Vec<(&'static str, &'static str)>,
    },
}

impl Output {
    /// 2 for `status --check` with a table pending, else 0.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Output::Status {
                tables,
                check: true,
                ..
            } if tables.iter().any(TableStatus::is_pending) => 2,
            _ => 0,
        }
    }

    pub(crate) fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.text(),
            Format::Json => {
                let mut text = self.json().to_string();
                text.push('\n');
                text
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        match self {
            Output::Status {
                database, tables, ..
            } => {
                let _ = writeln!(out, "database: {database}");
                for status in tables {
                    status_text(&mut out, status);
                }
                let pending = tables.iter().any(TableStatus::is_pending);
                out.push_str(if pending {
                    "\npending: `plan` shows the statements, `migrate` runs them\n"
                } else {
                    "\nup to date: nothing to migrate\n"
                });
            }
            Output::Plan { plans, .. } => {
                for (i, plan) in plans.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    let _ = write!(out, "{plan}");
                }
            }
            Output::Migrate { reports, .. } => {
                for report in reports {
                    let _ = writeln!(out, "{report}");
                }
            }
            Output::Sql { scripts, .. } => {
                for (i, (_, script)) in scripts.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(script);
                    if !script.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    fn json(&self) -> Value {
        match self {
            Output::Status {
                database, tables, ..
            } => json!({
                "schema_version": SCHEMA_VERSION,
                "command": "status",
                "database": database,
                "pending": tables.iter().any(TableStatus::is_pending),
                "tables": tables.iter().map(status_json).collect::<Vec<_>>(),
            }),
            Output::Plan {
                database,
                legacy,
                plans,
            } => json!({
                "schema_version": SCHEMA_VERSION,
                "command": "plan",
                "database": database,
                "legacy": legacy_name(*legacy),
                "tables": plans.iter().map(plan_json).collect::<Vec<_>>(),
            }),
            Output::Migrate {
                database,
                legacy,
                reports,
            } => json!({
                "schema_version": SCHEMA_VERSION,
                "command": "migrate",
                "database": database,
                "legacy": legacy_name(*legacy),
                "tables": reports.iter().map(report_json).collect::<Vec<_>>(),
            }),
            Output::Sql { legacy, scripts } => json!({
                "schema_version": SCHEMA_VERSION,
                "command": "sql",
                "database": null,
                "legacy": legacy_name(*legacy),
                "tables": scripts
                    .iter()
                    .map(|(table, sql)| json!({"table": table, "sql": sql}))
                    .collect::<Vec<_>>(),
            }),
        }
    }
}

fn legacy_name(legacy: LegacyTable) -> &'static str {
    match legacy {
        LegacyTable::Keep => "keep",
        LegacyTable::Drop => "drop",
    }
}

fn status_text(out: &mut String, status: &TableStatus) {
    let rows = |n: u64| format!("{n} {}", if n == 1 { "row" } else { "rows" });
    let _ = writeln!(
        out,
        "\n{}: {}",
        status.table,
        if status.is_pending() {
            "pending"
        } else {
            "up to date"
        }
    );
    let table = match status.rows {
        Some(n) => rows(n),
        None => "not created yet".to_owned(),
    };
    let _ = writeln!(out, "  table:          {table}");
    if let Some(legacy) = &status.legacy_table {
        let found = match status.legacy_rows {
            Some(n) => rows(n),
            None => "not there".to_owned(),
        };
        let _ = writeln!(out, "  legacy table:   {legacy}, {found}");
    }
    let _ = writeln!(
        out,
        "  waiting:        {} to copy",
        rows(status.rows_waiting)
    );
    let last = match &status.last_run {
        None => "never migrated".to_owned(),
        Some(run) => format!(
            "{}, {} copied in all, change capture {}{}",
            utc(run.migrated_at),
            rows(run.rows_copied),
            if run.capture { "installed" } else { "none" },
            match run.conflicts_settled {
                0 => String::new(),
                n => format!(", {n} conflicts settled"),
            }
        ),
    };
    let _ = writeln!(out, "  last run:       {last}");
    if let Some((count, keys)) = &status.conflicts {
        let _ = writeln!(
            out,
            "  conflicts:      {count} logged (keys {}); `migrate` fails until the application \
             chooses a policy (Migrator::on_conflict)",
            keys.join(", ")
        );
    }
    if status.schema_changes.is_empty() {
        let schema = if status.rows.is_some() {
            "matches the struct"
        } else {
            "created by the migration"
        };
        let _ = writeln!(out, "  schema:         {schema}");
    } else {
        let _ = writeln!(out, "  schema drift:");
        for change in &status.schema_changes {
            let _ = writeln!(out, "    - {change}");
        }
    }
    let n = status.plan.steps.len();
    let _ = writeln!(
        out,
        "  next migration: {}",
        match n {
            0 => "nothing to run".to_owned(),
            1 => "1 statement".to_owned(),
            n => format!("{n} statements"),
        }
    );
}

fn status_json(status: &TableStatus) -> Value {
    json!({
        "table": status.table,
        "pending": status.is_pending(),
        "table_exists": status.rows.is_some(),
        "rows": status.rows,
        "legacy_table": status.legacy_table,
        "legacy_exists": status.legacy_rows.is_some(),
        "legacy_rows": status.legacy_rows,
        "rows_waiting": status.rows_waiting,
        "last_run": status.last_run.as_ref().map(last_run_json),
        "schema_changes": status.schema_changes,
        "conflicts": status.conflicts.as_ref().map(|(count, keys)| json!({
            "count": count,
            "sample_keys": keys,
        })),
        "steps": status.plan.steps.len(),
    })
}

fn last_run_json(run: &LastRun) -> Value {
    json!({
        "migrated_at": run.migrated_at,
        "migrated_at_utc": utc(run.migrated_at),
        "rows_copied": run.rows_copied,
        "capture": run.capture,
        "conflicts_settled": run.conflicts_settled,
    })
}

fn plan_json(plan: &Plan) -> Value {
    json!({
        "table": plan.table,
        "steps": plan.steps.iter().map(|step| json!({
            "action": action_name(&step.action),
            "reason": step.action.to_string(),
            "sql": step.sql,
        })).collect::<Vec<_>>(),
    })
}

fn report_json(report: &MigrationReport) -> Value {
    json!({
        "table": report.table,
        "legacy_table": report.legacy_table,
        "legacy_found": report.legacy_found,
        "table_created": report.table_created,
        "rows_copied": report.rows_copied,
        "legacy_dropped": report.legacy_dropped,
        "copy_path": report.copy_path.map(|path| match path {
            CopyPath::Transfer => "transfer",
            CopyPath::BulkInsert => "bulk_insert",
            CopyPath::Reconcile => "reconcile",
        }),
        "columns_added": report.columns_added,
        "columns_renamed": report.columns_renamed,
        "rebuilt": report.rebuilt,
        "columns_dropped": report.columns_dropped,
        "defaulted_columns": report.defaulted_columns,
        "legacy_only_columns": report.legacy_only_columns,
        "capture": report.capture.map(|capture| match capture {
            CaptureStatus::Installed => "installed",
            CaptureStatus::Active => "active",
            CaptureStatus::Updated => "updated",
            CaptureStatus::Restored => "restored",
            CaptureStatus::Removed => "removed",
        }),
        "rows_differing": report.rows_differing,
        "conflicts": report.conflicts,
        "summary": report.to_string(),
    })
}

/// The stable name of a plan step's action in the JSON.
fn action_name(action: &Action) -> &'static str {
    match action {
        Action::CreateLedger => "create_ledger",
        Action::CreateCaptureTable { .. } => "create_capture_table",
        Action::CreateTable => "create_table",
        Action::RenameColumn { .. } => "rename_column",
        Action::RebuildTable { .. } => "rebuild_table",
        Action::AddColumn { .. } => "add_column",
        Action::FillColumn { .. } => "fill_column",
        Action::CreateIndex { .. } => "create_index",
        Action::Copy { .. } => "copy",
        Action::RemoveCapture { .. } => "remove_capture",
        Action::InstallCapture { .. } => "install_capture",
        Action::ForgetConflicts { .. } => "forget_conflicts",
        Action::ClearReplacedKeys { .. } => "clear_replaced_keys",
        Action::CopyConflictRows { .. } => "copy_conflict_rows",
        Action::ApplyRejectedRows { .. } => "apply_rejected_rows",
        Action::TakeLegacyRows { .. } => "take_legacy_rows",
        Action::SettleConflicts { .. } => "settle_conflicts",
        Action::DropLegacy => "drop_legacy",
        Action::DropLegacyOf { .. } => "drop_legacy_of",
        Action::RecordLedger => "record_ledger",
        Action::LockLegacy { .. } => "lock_legacy",
        Action::AlterColumn { .. } => "alter_column",
        Action::DropColumn { .. } => "drop_column",
        Action::AddForeignKey { .. } => "add_foreign_key",
        Action::DropForeignKey { .. } => "drop_foreign_key",
        Action::InstallCaptureFunction { .. } => "install_capture_function",
        Action::RemoveCaptureFunction { .. } => "remove_capture_function",
    }
}

/// Unix seconds as `2026-01-01T00:00:00Z` (the proleptic Gregorian calendar, as SQLite's
/// `datetime()` reads them).
fn utc(seconds: i64) -> String {
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-from-civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// A failure for people, on stderr: the message, then what to do.
pub(crate) fn failure_text(failure: &Failure) -> String {
    let mut text = format!("error: {}", message(failure));
    if let Some(hint) = hint(failure) {
        let _ = write!(text, "\nhint: {hint}");
    }
    text
}

/// A failure as the one JSON object on stdout.
pub(crate) fn failure_json(command: Option<&str>, failure: &Failure) -> String {
    let mut text = json!({
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "error": code(failure),
        "message": message(failure),
        "hint": hint(failure),
        "exit_code": failure.exit_code(),
    })
    .to_string();
    text.push('\n');
    text
}

fn message(failure: &Failure) -> String {
    match failure {
        Failure::Usage(error) => error
            .to_string()
            .trim_end()
            .trim_start_matches("error: ")
            .to_owned(),
        Failure::NoDatabase => "no database given".to_owned(),
        Failure::DatabaseUrl { source, value } => {
            format!("{source} is `{value}`, which is not a SQLite database file")
        }
        Failure::DatabaseNotFound { path } => {
            format!("no database at `{}`", path.display())
        }
        Failure::Open { path, source } => {
            format!("cannot open `{}`: {source}", path.display())
        }
        Failure::Wrkflw(error) => error.to_string(),
    }
}

/// What to do, where the message does not say it in the command line's terms.
fn hint(failure: &Failure) -> Option<String> {
    let hint = match failure {
        Failure::Usage(_) => "`--help` lists the commands and their flags",
        Failure::NoDatabase => {
            "pass --database PATH, or set WRKFLW_DATABASE (a path) or DATABASE_URL (sqlite:PATH)"
        }
        Failure::DatabaseUrl { .. } => {
            "give a path or a sqlite: URL without query parameters, such as runs.db, \
             sqlite:runs.db or sqlite:///srv/runs.db"
        }
        Failure::DatabaseNotFound { .. } => {
            "check the path: the command line opens an existing database and never creates one"
        }
        Failure::Open { .. } => "check the path and the file's permissions",
        Failure::Wrkflw(Error::Busy { .. }) => {
            "another connection holds the write lock: retry once it is done, or wait longer \
             with --busy-timeout (such as --busy-timeout 2m)"
        }
        Failure::Wrkflw(Error::Cancelled { .. }) => {
            "interrupted (Ctrl-C): the migration was rolled back; run `migrate` again to do it"
        }
        Failure::Wrkflw(Error::Conflicts { .. }) => {
            "choose which row stays: `migrate --on-conflict keep-table` (the table's) or \
             `--on-conflict take-legacy` (the legacy table's)"
        }
        Failure::Wrkflw(_) => return None,
    };
    Some(hint.to_owned())
}

/// The stable snake-case code of a failure in the JSON.
fn code(failure: &Failure) -> &'static str {
    match failure {
        Failure::Usage(_) => "usage",
        Failure::NoDatabase => "no_database",
        Failure::DatabaseUrl { .. } => "database_url",
        Failure::DatabaseNotFound { .. } => "database_not_found",
        Failure::Open { .. } => "open",
        Failure::Wrkflw(error) => error_code(error),
    }
}

fn error_code(error: &Error) -> &'static str {
    match error {
        Error::Sqlite(_) => "sqlite",
        Error::KeyExists { .. } => "key_exists",
        Error::Decode { .. } => "decode",
        Error::Encode { .. } => "encode",
        Error::Rows { .. } => "rows",
        Error::Step { .. } => "step",
        Error::RejectedRows { .. } => "rejected_rows",
        Error::MissingRows { .. } => "missing_rows",
        Error::Conflicts { .. } => "conflicts",
        Error::CannotCapture { .. } => "cannot_capture",
        Error::DuplicateKeys { .. } => "duplicate_keys",
        Error::WrongType { .. } => "wrong_type",
        Error::LegacyTableInUse { .. } => "legacy_table_in_use",
        Error::JournalOff { .. } => "journal_off",
        Error::NotATable { .. } => "not_a_table",
        Error::NoSuchTable { .. } => "no_such_table",
        Error::SchemaDrift { .. } => "schema_drift",
        Error::RebuildInTransaction { .. } => "rebuild_in_transaction",
        Error::InTransaction { .. } => "in_transaction",
        Error::TemporarySchema { .. } => "temporary_schema",
        #[cfg(feature = "postgres")]
        Error::RowLevelSecurity { .. } => "row_level_security",
        #[cfg(feature = "postgres")]
        Error::PartitionedLegacyTable { .. } => "partitioned_legacy_table",
        #[cfg(feature = "postgres")]
        Error::LegacyTableInOtherSchema { .. } => "legacy_table_in_other_schema",
        Error::ForeignKeyViolations { .. } => "foreign_key_violations",
        Error::RebuildLostRows { .. } => "rebuild_lost_rows",
        Error::MissingLegacyColumn { .. } => "missing_legacy_column",
        Error::ReferencedByForeignKeys { .. } => "referenced_by_foreign_keys",
        Error::IndexNameTaken { .. } => "index_name_taken",
        Error::DanglingReferences { .. } => "dangling_references",
        Error::UniqueViolation { .. } => "unique_violation",
        Error::ForeignKeyCycle { .. } => "foreign_key_cycle",
        Error::Busy { .. } => "busy",
        Error::ReadOnly { .. } => "read_only",
        Error::NotADatabase { .. } => "not_a_database",
        Error::DiskFull { .. } => "disk_full",
        Error::Io { .. } => "io",
        Error::Cancelled { .. } => "cancelled",
        // The command line runs on SQLite; a library built with `postgres` has these too.
        #[cfg(feature = "postgres")]
        Error::Postgres(_) | Error::PgRows { .. } | Error::PgStep { .. } => "postgres",
    }
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn unix_seconds_read_as_utc() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_767_225_599), "2025-12-31T23:59:59Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59Z");
    }
}
