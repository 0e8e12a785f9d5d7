//! The generated constants are the snapshot: exact SQL for the seed table and for each naming
//! and type rule.

// The structs below exist for their generated constants; their fields are never read.
#![allow(dead_code)]

use wrkflw::{wrkflw_table, Column, LegacyTable, SqlType, Table};
use wrkflw_tests::WorkflowRun;

#[test]
fn seed_table_names() {
    assert_eq!(WorkflowRun::TABLE_NAME, "wrkflw_workflow_runs");
    assert_eq!(WorkflowRun::LEGACY_TABLE_NAME, Some("workflow_runs"));
}

#[test]
fn seed_create_sql() {
    assert_eq!(
        WorkflowRun::CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS wrkflw_workflow_runs (
  run_id TEXT NOT NULL PRIMARY KEY,
  workflow_id TEXT NOT NULL,
  status TEXT NOT NULL,
  execution_path TEXT,
  step_results TEXT,
  state TEXT,
  input_data TEXT,
  result TEXT,
  error TEXT,
  created_at INTEGER DEFAULT (unixepoch()),
  updated_at INTEGER DEFAULT (unixepoch())
)"
    );
}

#[test]
fn seed_index_sql() {
    assert_eq!(
        WorkflowRun::INDEX_SQL,
        [
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_workflow_id ON wrkflw_workflow_runs (workflow_id)",
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_status ON wrkflw_workflow_runs (status)",
        ]
    );
}

#[test]
fn seed_copy_sql_skips_only_key_conflicts() {
    assert_eq!(
        WorkflowRun::COPY_SQL,
        Some(
            "INSERT INTO wrkflw_workflow_runs (
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
)
SELECT
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
FROM workflow_runs
WHERE true
ON CONFLICT (run_id) DO NOTHING"
        )
    );
    assert!(!WorkflowRun::COPY_SQL.unwrap().contains("OR IGNORE"));
}

#[test]
fn seed_drop_legacy_sql() {
    assert_eq!(
        WorkflowRun::DROP_LEGACY_SQL,
        ["DROP TABLE IF EXISTS workflow_runs"],
        "the legacy indexes go with the table; naming them could hit another table's index"
    );
}

#[test]
fn seed_columns() {
    let columns = WorkflowRun::COLUMNS;
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "run_id",
            "workflow_id",
            "status",
            "execution_path",
            "step_results",
            "state",
            "input_data",
            "result",
            "error",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(
        columns[0],
        Column {
            name: "run_id",
            sql_type: SqlType::Text,
            nullable: false,
            primary_key: true,
            indexed: false,
            json: false,
            default: None,
            rename_from: None,
            unique: false,
            references: None,
        }
    );
    assert!(columns[1].indexed && columns[2].indexed && !columns[3].indexed);
    assert!(columns[3].nullable && !columns[1].nullable);
    assert_eq!(columns[9].sql_type, SqlType::Integer);
    assert_eq!(columns[9].default, Some("unixepoch()"));
}

#[test]
fn keep_script_comments_out_exactly_the_drop_statements() {
    let keep = WorkflowRun::migration_sql(LegacyTable::Keep);
    let drop = WorkflowRun::migration_sql(LegacyTable::Drop);
    for statement in WorkflowRun::DROP_LEGACY_SQL {
        assert!(
            keep.contains(&format!("\n-- {statement};\n")),
            "{statement}"
        );
        assert!(drop.contains(&format!("\n{statement};\n")), "{statement}");
        assert!(!keep.contains(&format!("\n{statement};\n")), "{statement}");
    }
    for script in [keep, drop] {
        assert!(script.contains("\nBEGIN IMMEDIATE;\n"));
        assert!(script.ends_with("\nCOMMIT;\n"));
        assert!(script.contains(&format!("{};\n", WorkflowRun::CREATE_SQL)));
        assert!(script.contains(&format!("{};\n", WorkflowRun::COPY_SQL.unwrap())));
        for index in WorkflowRun::INDEX_SQL {
            assert!(script.contains(&format!("{index};\n")));
        }
        assert!(script.contains("Assumes the legacy table workflow_runs exists"));
    }
}

#[wrkflw_table]
struct AuditEntry {
    #[wrkflw(primary_key)]
    id: i64,
    message: String,
}

#[wrkflw_table(name = "runs", prefix = "app_")]
struct NamedRun {
    #[wrkflw(primary_key)]
    id: String,
}

#[wrkflw_table(rename_from = "HTTPLog", name = "http_log", prefix = "")]
struct HttpLog {
    #[wrkflw(primary_key)]
    id: i64,
}

#[test]
fn table_name_is_prefix_plus_name_rename_from_or_snake_case() {
    assert_eq!(AuditEntry::TABLE_NAME, "wrkflw_audit_entry");
    assert_eq!(AuditEntry::LEGACY_TABLE_NAME, None);
    assert_eq!(NamedRun::TABLE_NAME, "app_runs");
    assert_eq!(HttpLog::TABLE_NAME, "http_log");
    assert_eq!(HttpLog::LEGACY_TABLE_NAME, Some("HTTPLog"));
}

#[test]
fn without_a_legacy_table_there_is_nothing_to_copy_or_drop() {
    assert_eq!(AuditEntry::COPY_SQL, None);
    assert!(AuditEntry::DROP_LEGACY_SQL.is_empty());
    assert!(AuditEntry::INDEX_SQL.is_empty());
    let script = AuditEntry::migration_sql(LegacyTable::Drop);
    assert_eq!(script, AuditEntry::migration_sql(LegacyTable::Keep));
    assert_eq!(
        script,
        "-- Creates wrkflw_audit_entry.
-- Generated by #[wrkflw_table] from `AuditEntry`; the same struct always gives this text.
-- There is no legacy table to migrate from (no `rename_from`).

BEGIN IMMEDIATE;

-- Step 1: create the new table. IF NOT EXISTS keeps one that is already there.
CREATE TABLE IF NOT EXISTS wrkflw_audit_entry (
  id INTEGER NOT NULL PRIMARY KEY,
  message TEXT NOT NULL
);

COMMIT;
"
    );
}

#[wrkflw_table]
struct EveryType {
    #[wrkflw(primary_key)]
    text: String,
    big: i64,
    int: i32,
    small: i16,
    tiny: i8,
    unsigned: u32,
    unsigned_small: u16,
    byte: u8,
    flag: bool,
    double: f64,
    single: f32,
    bytes: Vec<u8>,
    maybe_text: Option<String>,
    maybe_bytes: std::option::Option<std::vec::Vec<u8>>,
    maybe_float: ::core::option::Option<f32>,
}

#[test]
fn every_supported_type_maps_to_its_column_type() {
    let types: Vec<(&str, &str, bool)> = EveryType::COLUMNS
        .iter()
        .map(|c| (c.name, c.sql_type.as_str(), c.nullable))
        .collect();
    assert_eq!(
        types,
        [
            ("text", "TEXT", false),
            ("big", "INTEGER", false),
            ("int", "INTEGER", false),
            ("small", "INTEGER", false),
            ("tiny", "INTEGER", false),
            ("unsigned", "INTEGER", false),
            ("unsigned_small", "INTEGER", false),
            ("byte", "INTEGER", false),
            ("flag", "INTEGER", false),
            ("double", "REAL", false),
            ("single", "REAL", false),
            ("bytes", "BLOB", false),
            ("maybe_text", "TEXT", true),
            ("maybe_bytes", "BLOB", true),
            ("maybe_float", "REAL", true),
        ]
    );
}

#[wrkflw_table(name = "order", prefix = "")]
struct Order {
    #[wrkflw(primary_key)]
    r#where: i64,
    #[wrkflw(index)]
    group: String,
    r#type: Option<String>,
}

#[test]
fn keywords_are_quoted_and_raw_identifiers_unraw() {
    assert_eq!(
        Order::CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS \"order\" (
  \"where\" INTEGER NOT NULL PRIMARY KEY,
  \"group\" TEXT NOT NULL,
  type TEXT
)"
    );
    assert_eq!(
        Order::INDEX_SQL,
        ["CREATE INDEX IF NOT EXISTS idx_order_group ON \"order\" (\"group\")"]
    );
    let conn = wrkflw::rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(Order::CREATE_SQL).unwrap();
    conn.execute_batch(Order::INDEX_SQL[0]).unwrap();
    let columns = wrkflw_tests::table_info(&conn, "order");
    assert_eq!(columns[0].0, "where");
    assert_eq!(columns[2].0, "type");
}

#[test]
fn scripts_are_deterministic() {
    // Two structs with identical definitions but different names differ only in the name
    // the header mentions: no timestamps or other varying text.
    let a = AuditEntry::migration_sql(LegacyTable::Keep);
    assert_eq!(a, AuditEntry::migration_sql(LegacyTable::Keep));
    assert!(!a.contains("20"), "no dates in the script: {a}");
}
