//! The PostgreSQL constants are the snapshot: exact text for the seed table and for each
//! type, key, index, name and default rule; and every statement runs on a real server.

// The structs below exist for their generated constants; their fields are never read.
#![allow(dead_code)]

use wrkflw::postgres::driver::Client;
use wrkflw::postgres::{PgColumn, PgTable, PgType};
use wrkflw::{wrkflw_table, LegacyTable, Table};
use wrkflw_tests::pg::{legacy_runs, PgDb};
use wrkflw_tests::{seed, DbFile, WorkflowRun};

/// Every supported type, plain and in an `Option`, and a JSON field of each kind.
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
    #[wrkflw(json)]
    doc: Vec<String>,
    maybe_text: Option<String>,
    maybe_unsigned: Option<u16>,
    maybe_flag: Option<bool>,
    maybe_bytes: Option<Vec<u8>>,
    #[wrkflw(json)]
    maybe_doc: Option<serde_json::Value>,
}

/// A composite key, field `index`/`unique` and the struct's lists.
#[wrkflw_table(
    rename_from = "workflow_steps",
    unique(run_id, name),
    index(name, attempt)
)]
struct Step {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(primary_key)]
    step_id: i64,
    name: String,
    #[wrkflw(index)]
    attempt: u16,
    #[wrkflw(unique)]
    token: Option<String>,
    #[wrkflw(rename_from = "output")]
    result: Option<String>,
}

/// Tables and columns named by words PostgreSQL reserves (`user`, `order`, `limit`), a
/// table whose name holds capitals, and references between them.
#[wrkflw_table(name = "user", prefix = "")]
struct User {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(unique)]
    email: String,
}

#[wrkflw_table(name = "order", prefix = "")]
struct Order {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(index, references = User, on_delete = "cascade")]
    user: i64,
    #[wrkflw(references = Self, on_delete = "set_null")]
    parent: Option<i64>,
    limit: i32,
}

#[wrkflw_table(name = "AuditLog", prefix = "")]
struct AuditLog {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(references = Order, on_delete = "restrict")]
    order_id: i32,
    #[wrkflw(index)]
    table: String,
}

/// Each default SQLite and PostgreSQL spell differently, translated, and one given for
/// PostgreSQL by hand.
#[wrkflw_table(name = "defaults")]
#[derive(Debug, Clone, PartialEq)]
struct Defaults {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(default = "unixepoch()")]
    created_at: i64,
    #[wrkflw(default = "(strftime('%s', 'now'))")]
    seen_at: Option<u32>,
    #[wrkflw(default = "0")]
    done: bool,
    #[wrkflw(default = "1")]
    active: Option<bool>,
    #[wrkflw(default = "-3")]
    small: i16,
    #[wrkflw(default = "255")]
    byte: u8,
    #[wrkflw(default = "2.5")]
    ratio: f64,
    #[wrkflw(default = "'it''s queued'")]
    state: String,
    #[wrkflw(default = "CURRENT_TIMESTAMP")]
    stamped: String,
    #[wrkflw(default = "NULL")]
    note: Option<String>,
    #[wrkflw(default = "X'00ff'")]
    magic: Vec<u8>,
    #[wrkflw(json, default = "'{\"retries\": 0}'")]
    options: serde_json::Value,
    #[wrkflw(default = "random()", postgres_default = "42")]
    lucky: i64,
}

#[test]
fn seed_pg_create_sql() {
    assert_eq!(
        WorkflowRun::PG_CREATE_SQL,
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
  created_at BIGINT DEFAULT (floor(extract(epoch from now()))::bigint),
  updated_at BIGINT DEFAULT (floor(extract(epoch from now()))::bigint)
)"
    );
}

#[test]
fn seed_pg_indexes_copy_and_drop() {
    assert_eq!(
        WorkflowRun::PG_INDEX_SQL,
        [
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_workflow_id ON wrkflw_workflow_runs (workflow_id)",
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_runs_status ON wrkflw_workflow_runs (status)",
        ],
        "the same names as on SQLite"
    );
    assert_eq!(WorkflowRun::PG_INDEX_SQL, WorkflowRun::INDEX_SQL);
    assert_eq!(
        WorkflowRun::PG_COPY_SQL,
        Some(
            "INSERT INTO wrkflw_workflow_runs (
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
)
SELECT
  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at
FROM workflow_runs
ON CONFLICT (run_id) DO NOTHING"
        )
    );
    assert_eq!(
        WorkflowRun::PG_DROP_LEGACY_SQL,
        ["DROP TABLE IF EXISTS workflow_runs"]
    );
}

#[test]
fn seed_pg_columns() {
    let text = |name| PgColumn {
        name,
        pg_type: PgType::Text,
        default: None,
    };
    let seconds = |name| PgColumn {
        name,
        pg_type: PgType::BigInt,
        default: Some("floor(extract(epoch from now()))::bigint"),
    };
    assert_eq!(
        WorkflowRun::PG_COLUMNS,
        [
            text("run_id"),
            text("workflow_id"),
            text("status"),
            text("execution_path"),
            text("step_results"),
            text("state"),
            text("input_data"),
            text("result"),
            text("error"),
            seconds("created_at"),
            seconds("updated_at"),
        ]
    );
    let names: Vec<&str> = WorkflowRun::COLUMNS.iter().map(|c| c.name).collect();
    let pg_names: Vec<&str> = WorkflowRun::PG_COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(names, pg_names, "parallel to Table::COLUMNS");
}

#[test]
fn seed_pg_row_statements() {
    let list =
        "  run_id, workflow_id, status, execution_path, step_results, state, input_data, result,
  error, created_at, updated_at";
    let insert = format!(
        "INSERT INTO wrkflw_workflow_runs (
{list}
) VALUES (
  $1, $2, $3, $4, $5, $6, $7, $8, $9,
  coalesce($10::BIGINT, floor(extract(epoch from now()))::bigint),
  coalesce($11::BIGINT, floor(extract(epoch from now()))::bigint)
)"
    );
    assert_eq!(WorkflowRun::PG_INSERT_SQL, insert);
    assert_eq!(
        WorkflowRun::PG_UPSERT_SQL,
        format!(
            "{insert}
ON CONFLICT (run_id) DO UPDATE SET
  workflow_id = EXCLUDED.workflow_id, status = EXCLUDED.status,
  execution_path = EXCLUDED.execution_path, step_results = EXCLUDED.step_results,
  state = EXCLUDED.state, input_data = EXCLUDED.input_data, result = EXCLUDED.result,
  error = EXCLUDED.error,
  created_at = coalesce($10::BIGINT, wrkflw_workflow_runs.created_at),
  updated_at = coalesce($11::BIGINT, wrkflw_workflow_runs.updated_at)"
        )
    );
    assert_eq!(
        WorkflowRun::PG_UPDATE_SQL,
        "UPDATE wrkflw_workflow_runs SET
  workflow_id = $2, status = $3, execution_path = $4, step_results = $5, state = $6,
  input_data = $7, result = $8, error = $9,
  created_at = coalesce($10::BIGINT, created_at),
  updated_at = coalesce($11::BIGINT, updated_at)
WHERE run_id = $1"
    );
    let select = format!("SELECT\n{list}\nFROM wrkflw_workflow_runs\n");
    assert_eq!(
        WorkflowRun::PG_SELECT_SQL,
        format!("{select}WHERE run_id = $1")
    );
    assert_eq!(
        WorkflowRun::PG_SELECT_ALL_SQL,
        format!("{select}ORDER BY run_id")
    );
    assert_eq!(
        WorkflowRun::PG_FIND_BY_STATUS_SQL,
        format!("{select}WHERE status = $1\nORDER BY run_id")
    );
    assert_eq!(
        WorkflowRun::PG_DELETE_SQL,
        "DELETE FROM wrkflw_workflow_runs WHERE run_id = $1"
    );
    assert_eq!(
        WorkflowRun::PG_COUNT_SQL,
        "SELECT count(*) FROM wrkflw_workflow_runs"
    );
}

#[test]
fn seed_pg_migration_script_comments_out_exactly_the_drops() {
    let keep = WorkflowRun::pg_migration_sql(LegacyTable::Keep);
    let drop = WorkflowRun::pg_migration_sql(LegacyTable::Drop);
    for statement in WorkflowRun::PG_DROP_LEGACY_SQL {
        assert!(keep.contains(&format!("\n-- {statement};\n")), "{keep}");
        assert!(!keep.contains(&format!("\n{statement};\n")), "{keep}");
        assert!(drop.contains(&format!("\n{statement};\n")), "{drop}");
    }
    for script in [keep, drop] {
        assert!(script.contains("\nBEGIN;\n"), "{script}");
        assert!(script.ends_with("\nCOMMIT;\n"), "{script}");
        assert!(script.contains(&format!("{};\n", WorkflowRun::PG_CREATE_SQL)));
        assert!(script.contains(&format!("{};\n", WorkflowRun::PG_COPY_SQL.unwrap())));
        for index in WorkflowRun::PG_INDEX_SQL {
            assert!(script.contains(&format!("{index};\n")));
        }
        assert!(script.contains("psql -v ON_ERROR_STOP=1"));
    }
}

#[test]
fn every_type_has_its_postgres_type() {
    assert_eq!(
        EveryType::PG_CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS wrkflw_every_type (
  text TEXT NOT NULL PRIMARY KEY,
  big BIGINT NOT NULL,
  \"int\" INTEGER NOT NULL,
  small SMALLINT NOT NULL,
  tiny SMALLINT NOT NULL,
  unsigned BIGINT NOT NULL,
  unsigned_small INTEGER NOT NULL,
  byte SMALLINT NOT NULL,
  flag BOOLEAN NOT NULL,
  double DOUBLE PRECISION NOT NULL,
  single REAL NOT NULL,
  bytes BYTEA NOT NULL,
  doc JSONB NOT NULL,
  maybe_text TEXT,
  maybe_unsigned INTEGER,
  maybe_flag BOOLEAN,
  maybe_bytes BYTEA,
  maybe_doc JSONB
)"
    );
    let types: Vec<PgType> = EveryType::PG_COLUMNS.iter().map(|c| c.pg_type).collect();
    use PgType::*;
    assert_eq!(
        types,
        [
            Text,
            BigInt,
            Integer,
            SmallInt,
            SmallInt,
            BigInt,
            Integer,
            SmallInt,
            Boolean,
            DoublePrecision,
            Real,
            Bytea,
            Jsonb,
            Text,
            Integer,
            Boolean,
            Bytea,
            Jsonb
        ]
    );
    assert!(EveryType::PG_COLUMNS.iter().all(|c| c.default.is_none()));
    assert!(EveryType::PG_COPY_SQL.is_none() && EveryType::PG_DROP_LEGACY_SQL.is_empty());
}

#[test]
fn composite_keys_and_index_lists() {
    assert_eq!(
        Step::PG_CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS wrkflw_workflow_steps (
  run_id TEXT NOT NULL,
  step_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  token TEXT,
  result TEXT,
  PRIMARY KEY (run_id, step_id)
)"
    );
    assert_eq!(
        Step::PG_INDEX_SQL,
        [
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_steps_attempt ON wrkflw_workflow_steps (attempt)",
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_wrkflw_workflow_steps_token ON wrkflw_workflow_steps (token)",
            "CREATE UNIQUE INDEX IF NOT EXISTS uq_wrkflw_workflow_steps_run_id_name ON wrkflw_workflow_steps (run_id, name)",
            "CREATE INDEX IF NOT EXISTS idx_wrkflw_workflow_steps_name_attempt ON wrkflw_workflow_steps (name, attempt)",
        ]
    );
    assert_eq!(
        Step::PG_COPY_SQL,
        Some(
            "INSERT INTO wrkflw_workflow_steps (
  run_id, step_id, name, attempt, token, result
)
SELECT
  run_id, step_id, name, attempt, token, output AS result
FROM workflow_steps
ON CONFLICT (run_id, step_id) DO NOTHING"
        ),
        "a renamed column reads its legacy name"
    );
    assert!(Step::PG_UPSERT_SQL.contains("\nON CONFLICT (run_id, step_id) DO UPDATE SET\n"));
    assert_eq!(
        Step::PG_UPDATE_SQL,
        "UPDATE wrkflw_workflow_steps SET
  name = $3, attempt = $4, token = $5, result = $6
WHERE run_id = $1 AND step_id = $2"
    );
    assert!(Step::PG_SELECT_SQL.ends_with("\nWHERE run_id = $1 AND step_id = $2"));
    assert!(Step::PG_SELECT_ALL_SQL.ends_with("\nORDER BY run_id, step_id"));
    assert_eq!(
        Step::PG_DELETE_SQL,
        "DELETE FROM wrkflw_workflow_steps WHERE run_id = $1 AND step_id = $2"
    );
    let select = "SELECT
  run_id, step_id, name, attempt, token, result
FROM wrkflw_workflow_steps
";
    assert_eq!(
        Step::PG_FIND_BY_RUN_ID_AND_NAME_SQL,
        format!("{select}WHERE run_id = $1 AND name = $2"),
        "unique: no order needed"
    );
    assert_eq!(
        Step::PG_FIND_BY_NAME_AND_ATTEMPT_SQL,
        format!("{select}WHERE name = $1 AND attempt = $2\nORDER BY run_id, step_id")
    );
    assert_eq!(
        Step::PG_FIND_BY_TOKEN_SQL,
        format!("{select}WHERE token = $1"),
        "a unique index holds many NULLs: `None` finds nothing, as on SQLite"
    );
}

#[test]
fn words_postgres_reserves_and_capitals_are_quoted() {
    assert_eq!(
        User::PG_CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS \"user\" (
  id BIGINT NOT NULL PRIMARY KEY,
  email TEXT NOT NULL
)"
    );
    // SQLite does not reserve `user` or `limit`.
    assert!(User::CREATE_SQL.starts_with("CREATE TABLE IF NOT EXISTS user ("));
    assert_eq!(
        Order::PG_CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS \"order\" (
  id BIGINT NOT NULL PRIMARY KEY,
  \"user\" BIGINT NOT NULL REFERENCES \"user\" (id) ON DELETE CASCADE,
  parent BIGINT REFERENCES \"order\" (id) ON DELETE SET NULL,
  \"limit\" INTEGER NOT NULL
)"
    );
    assert_eq!(
        Order::PG_INDEX_SQL,
        ["CREATE INDEX IF NOT EXISTS idx_order_user ON \"order\" (\"user\")"]
    );
    assert_eq!(
        Order::PG_UPSERT_SQL,
        "INSERT INTO \"order\" (
  id, \"user\", parent, \"limit\"
) VALUES (
  $1, $2, $3, $4
)
ON CONFLICT (id) DO UPDATE SET
  \"user\" = EXCLUDED.\"user\", parent = EXCLUDED.parent, \"limit\" = EXCLUDED.\"limit\""
    );
    assert_eq!(
        AuditLog::PG_CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS \"AuditLog\" (
  id BIGINT NOT NULL PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES \"order\" (id) ON DELETE RESTRICT,
  \"table\" TEXT NOT NULL
)"
    );
    assert_eq!(
        AuditLog::PG_INDEX_SQL,
        ["CREATE INDEX IF NOT EXISTS \"idx_AuditLog_table\" ON \"AuditLog\" (\"table\")"]
    );
    assert_eq!(
        AuditLog::PG_FIND_BY_TABLE_SQL,
        "SELECT
  id, order_id, \"table\"
FROM \"AuditLog\"
WHERE \"table\" = $1
ORDER BY id"
    );
}

#[test]
fn sqlite_defaults_are_translated() {
    assert_eq!(
        Defaults::PG_CREATE_SQL,
        "CREATE TABLE IF NOT EXISTS wrkflw_defaults (
  id BIGINT NOT NULL PRIMARY KEY,
  created_at BIGINT NOT NULL DEFAULT (floor(extract(epoch from now()))::bigint),
  seen_at BIGINT DEFAULT (floor(extract(epoch from now()))::bigint),
  done BOOLEAN NOT NULL DEFAULT (FALSE),
  active BOOLEAN DEFAULT (TRUE),
  small SMALLINT NOT NULL DEFAULT (-3),
  byte SMALLINT NOT NULL DEFAULT (255),
  ratio DOUBLE PRECISION NOT NULL DEFAULT (2.5),
  state TEXT NOT NULL DEFAULT ('it''s queued'),
  stamped TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')),
  note TEXT,
  magic BYTEA NOT NULL DEFAULT ('\\x00ff'::bytea),
  options JSONB NOT NULL DEFAULT ('{\"retries\": 0}'),
  lucky BIGINT NOT NULL DEFAULT (42)
)"
    );
    let defaults: Vec<(&str, Option<&str>)> = Defaults::PG_COLUMNS
        .iter()
        .map(|c| (c.name, c.default))
        .collect();
    assert_eq!(defaults[3], ("done", Some("FALSE")));
    assert_eq!(defaults[10], ("note", None), "`NULL` is no default");
    assert_eq!(
        defaults[13],
        ("lucky", Some("42")),
        "postgres_default as written"
    );
    // SQLite keeps its own spelling.
    assert_eq!(Defaults::COLUMNS[13].default, Some("random()"));
    // A `None` in a defaulted `Option` field: the default on insert, the stored value after;
    // the parameter carries its type, which `coalesce` cannot infer.
    assert!(Defaults::PG_INSERT_SQL.contains("coalesce($5::BOOLEAN, TRUE)"));
    assert!(Defaults::PG_UPDATE_SQL.contains("active = coalesce($5::BOOLEAN, active)"));
    assert!(
        Defaults::PG_UPSERT_SQL.contains("active = coalesce($5::BOOLEAN, wrkflw_defaults.active)")
    );
    // With `default = "NULL"`, a `None` is NULL on insert and keeps the stored value after.
    assert!(Defaults::PG_INSERT_SQL.contains(", $11, "));
    assert!(Defaults::PG_UPDATE_SQL.contains("note = coalesce($11::TEXT, note)"));
}

/// Creates each table and its indexes on `client`, in an order that puts referenced
/// tables first, twice (the DDL is idempotent).
fn create_all(client: &mut Client) {
    for _ in 0..2 {
        for (create, indexes) in [
            (User::PG_CREATE_SQL, User::PG_INDEX_SQL),
            (Order::PG_CREATE_SQL, Order::PG_INDEX_SQL),
            (AuditLog::PG_CREATE_SQL, AuditLog::PG_INDEX_SQL),
            (EveryType::PG_CREATE_SQL, EveryType::PG_INDEX_SQL),
            (Step::PG_CREATE_SQL, Step::PG_INDEX_SQL),
            (Defaults::PG_CREATE_SQL, Defaults::PG_INDEX_SQL),
            (WorkflowRun::PG_CREATE_SQL, WorkflowRun::PG_INDEX_SQL),
        ] {
            client
                .batch_execute(create)
                .unwrap_or_else(|e| panic!("{e}: {create}"));
            for index in indexes {
                client
                    .batch_execute(index)
                    .unwrap_or_else(|e| panic!("{e}: {index}"));
            }
        }
    }
}

/// The catalog's view of `T`'s table matches what `T` says: names exactly as the struct
/// gives them, types, nullability, defaults, and its indexes by name.
fn assert_catalog_matches<T: PgTable>(client: &mut Client) {
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    d.adbin IS NOT NULL
             FROM pg_attribute a
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0
               AND NOT a.attisdropped
             ORDER BY a.attnum",
            &[&T::TABLE_NAME],
        )
        .unwrap();
    let found: Vec<(String, String, bool, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let expected: Vec<(String, String, bool, bool)> = T::PG_COLUMNS
        .iter()
        .zip(T::COLUMNS)
        .map(|(pg, column)| {
            (
                pg.name.to_owned(),
                pg.pg_type.catalog_name().to_owned(),
                !column.nullable,
                pg.default.is_some(),
            )
        })
        .collect();
    assert_eq!(found, expected, "{}", T::TABLE_NAME);
    let indexes: Vec<String> = client
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE tablename = $1 AND indexname NOT LIKE '%_pkey' ORDER BY indexname",
            &[&T::TABLE_NAME],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut expected: Vec<String> = T::INDEXES.iter().map(|i| i.name.to_owned()).collect();
    expected.sort();
    assert_eq!(indexes, expected, "{}", T::TABLE_NAME);
}

/// Every statement parses and its parameters type-check against the table.
fn assert_statements_prepare<T: PgTable>(client: &mut Client, finders: &[&str]) {
    for sql in [
        T::PG_INSERT_SQL,
        T::PG_UPSERT_SQL,
        T::PG_UPDATE_SQL,
        T::PG_SELECT_SQL,
        T::PG_SELECT_ALL_SQL,
        T::PG_DELETE_SQL,
        T::PG_COUNT_SQL,
    ]
    .iter()
    .chain(finders)
    {
        client.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
}

#[test]
fn every_generated_statement_runs_on_the_server() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create_all(&mut client);
    assert_catalog_matches::<User>(&mut client);
    assert_catalog_matches::<Order>(&mut client);
    assert_catalog_matches::<AuditLog>(&mut client);
    assert_catalog_matches::<EveryType>(&mut client);
    assert_catalog_matches::<Step>(&mut client);
    assert_catalog_matches::<Defaults>(&mut client);
    assert_catalog_matches::<WorkflowRun>(&mut client);
    assert_statements_prepare::<User>(&mut client, &[User::PG_FIND_BY_EMAIL_SQL]);
    assert_statements_prepare::<Order>(&mut client, &[Order::PG_FIND_BY_USER_SQL]);
    assert_statements_prepare::<AuditLog>(&mut client, &[AuditLog::PG_FIND_BY_TABLE_SQL]);
    assert_statements_prepare::<EveryType>(&mut client, &[]);
    assert_statements_prepare::<Step>(
        &mut client,
        &[
            Step::PG_FIND_BY_ATTEMPT_SQL,
            Step::PG_FIND_BY_TOKEN_SQL,
            Step::PG_FIND_BY_RUN_ID_AND_NAME_SQL,
            Step::PG_FIND_BY_NAME_AND_ATTEMPT_SQL,
        ],
    );
    assert_statements_prepare::<Defaults>(&mut client, &[]);
    assert_statements_prepare::<WorkflowRun>(
        &mut client,
        &[
            WorkflowRun::PG_FIND_BY_WORKFLOW_ID_SQL,
            WorkflowRun::PG_FIND_BY_STATUS_SQL,
        ],
    );
}

#[test]
fn foreign_keys_hold_on_the_server() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create_all(&mut client);
    client
        .batch_execute(
            "INSERT INTO \"user\" VALUES (1, 'a@example.com');
             INSERT INTO \"order\" VALUES (10, 1, NULL, 5), (11, 1, 10, 5);",
        )
        .unwrap();
    let orphan = client
        .batch_execute("INSERT INTO \"order\" VALUES (12, 2, NULL, 5)")
        .unwrap_err();
    assert_eq!(
        orphan.code(),
        Some(&wrkflw::postgres::driver::error::SqlState::FOREIGN_KEY_VIOLATION)
    );
    client
        .batch_execute("INSERT INTO \"AuditLog\" VALUES (1, 10, 'order')")
        .unwrap();
    let restricted = client
        .batch_execute("DELETE FROM \"user\" WHERE id = 1")
        .unwrap_err();
    assert_eq!(
        restricted.code(),
        Some(&wrkflw::postgres::driver::error::SqlState::FOREIGN_KEY_VIOLATION),
        "the cascade to order 10 meets the audit log's restrict"
    );
    client.batch_execute("DELETE FROM \"AuditLog\"").unwrap();
    client
        .batch_execute("DELETE FROM \"user\" WHERE id = 1")
        .unwrap();
    let left: i64 = client
        .query_one("SELECT count(*) FROM \"order\"", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "ON DELETE CASCADE");
}

/// The translated defaults give, on PostgreSQL, the values SQLite gives for the same row.
#[test]
fn translated_defaults_give_the_values_sqlite_gives() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create_all(&mut client);
    client
        .batch_execute("INSERT INTO wrkflw_defaults (id) VALUES (1)")
        .unwrap();
    let on_pg = <Defaults as PgTable>::get(&mut client, 1).unwrap().unwrap();

    let file = DbFile::new();
    let mut conn = file.open();
    <Defaults as Table>::migrate(&mut conn, LegacyTable::Keep).unwrap();
    conn.execute("INSERT INTO wrkflw_defaults (id) VALUES (1)", [])
        .unwrap();
    let on_sqlite = <Defaults as Table>::get(&conn, 1).unwrap().unwrap();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for row in [&on_pg, &on_sqlite] {
        assert!((now - 10..=now).contains(&row.created_at), "{row:?}");
        let seen = i64::from(row.seen_at.unwrap());
        assert!((now - 10..=now).contains(&seen), "{row:?}");
        // `YYYY-MM-DD HH:MM:SS` of the current UTC time, as SQLite's CURRENT_TIMESTAMP:
        // SQLite reads it back as the unix time it was written at.
        let (stamped, normalized): (Option<i64>, Option<String>) = conn
            .query_row("SELECT unixepoch(?1), datetime(?1)", [&row.stamped], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(normalized.as_deref(), Some(row.stamped.as_str()), "{row:?}");
        assert!(
            stamped.is_some_and(|at| (now - 10..=now).contains(&at)),
            "{row:?}"
        );
    }
    // Everything but the clock (and SQLite's `random()`) is the same value on both.
    let timeless = |row: &Defaults| Defaults {
        created_at: 0,
        seen_at: None,
        stamped: String::new(),
        lucky: 0,
        ..row.clone()
    };
    assert_eq!(timeless(&on_pg), timeless(&on_sqlite));
    assert_eq!(
        (
            on_pg.done,
            on_pg.active,
            on_pg.small,
            on_pg.byte,
            on_pg.ratio
        ),
        (false, Some(true), -3, 255, 2.5)
    );
    assert_eq!(
        (
            on_pg.state.as_str(),
            on_pg.note.as_deref(),
            on_pg.magic.as_slice()
        ),
        ("it's queued", None, &[0x00, 0xff][..])
    );
    assert_eq!(on_pg.options, serde_json::json!({"retries": 0}));
    assert_eq!(on_pg.lucky, 42);
}

/// The seed's script, run by hand on a server with the legacy table: every row arrives, a
/// second run copies nothing more, `Keep` keeps the legacy table and `Drop` drops it.
#[test]
fn the_seed_migration_script_runs_on_a_server_with_a_legacy_table() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    legacy_runs(&mut client, 0, 50);
    let keep = WorkflowRun::pg_migration_sql(LegacyTable::Keep);
    client.batch_execute(keep).unwrap();
    let expected: Vec<WorkflowRun> = {
        let mut runs: Vec<WorkflowRun> = (0..50).map(seed::legacy_run).collect();
        runs.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        runs
    };
    assert_eq!(
        <WorkflowRun as PgTable>::all(&mut client).unwrap(),
        expected
    );
    let legacy_there = |client: &mut Client| -> bool {
        client
            .query_one("SELECT to_regclass('workflow_runs') IS NOT NULL", &[])
            .unwrap()
            .get(0)
    };
    assert!(legacy_there(&mut client));

    // Again, with a row the application wrote to the new table since: skipped, not replaced.
    client
        .batch_execute(
            "UPDATE wrkflw_workflow_runs SET status = 'rewritten' WHERE run_id = (SELECT min(run_id) FROM wrkflw_workflow_runs)",
        )
        .unwrap();
    client.batch_execute(keep).unwrap();
    assert_eq!(<WorkflowRun as PgTable>::count(&mut client).unwrap(), 50);
    let rewritten: i64 = client
        .query_one(
            "SELECT count(*) FROM wrkflw_workflow_runs WHERE status = 'rewritten'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rewritten, 1);

    client
        .batch_execute(WorkflowRun::pg_migration_sql(LegacyTable::Drop))
        .unwrap();
    assert!(!legacy_there(&mut client));
    assert_eq!(<WorkflowRun as PgTable>::count(&mut client).unwrap(), 50);
}

/// A row the new table rejects stops the script, and the transaction leaves nothing.
#[test]
fn a_rejected_legacy_row_stops_the_script_and_nothing_is_applied() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    legacy_runs(&mut client, 0, 5);
    client
        .batch_execute(
            "ALTER TABLE workflow_runs ALTER COLUMN status DROP NOT NULL;
             INSERT INTO workflow_runs (run_id, workflow_id, status) VALUES ('no-status', 'w', NULL);",
        )
        .unwrap();
    let error = client
        .batch_execute(WorkflowRun::pg_migration_sql(LegacyTable::Drop))
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(&wrkflw::postgres::driver::error::SqlState::NOT_NULL_VIOLATION)
    );
    // The failed transaction is still open on this connection; a new one sees the database.
    let mut fresh = db.client();
    let created: bool = fresh
        .query_one(
            "SELECT to_regclass('wrkflw_workflow_runs') IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!created, "nothing applied");
    let legacy: i64 = fresh
        .query_one("SELECT count(*) FROM workflow_runs", &[])
        .unwrap()
        .get(0);
    assert_eq!(legacy, 6);
}
