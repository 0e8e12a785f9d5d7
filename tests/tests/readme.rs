//! The README shows the seed struct and its generated SQL verbatim; these tests keep it true.

use wrkflw::{wrkflw_table, LegacyTable, Migrator, Table};
use wrkflw_tests::{migrated_keeping_legacy, DbFile, WorkflowRun};

// The README's second table, declared from the same text the README shows.
include!("../readme_step.rs");
const STEP: &str = include_str!("../readme_step.rs");

const README: &str = include_str!("../../README.md");
const SEED: &str = include_str!("../../wrkflw/examples/seed/mod.rs");

#[test]
fn readme_shows_the_generated_script_verbatim() {
    let script = WorkflowRun::migration_sql(LegacyTable::Keep);
    assert!(
        README.contains(&format!("```sql\n{script}```")),
        "README.md's ```sql block differs from WorkflowRun::migration_sql(LegacyTable::Keep):\n{script}"
    );
}

#[test]
fn readme_shows_the_seed_struct_the_tests_use() {
    let start = SEED.find("#[wrkflw_table(").unwrap();
    let end = start + SEED[start..].find("\n}\n").unwrap() + 3;
    let struct_source = &SEED[start..end];
    assert!(
        README.contains(struct_source),
        "README.md differs from the seed struct:\n{struct_source}"
    );
}

#[test]
fn readme_starts_with_the_two_commands() {
    let first_block = README
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert!(first_block.starts_with("cargo run --example migrate_legacy"));
    assert!(first_block.contains("\ncargo test --workspace"));
}

#[test]
fn readme_shows_the_capture_triggers_verbatim() {
    let (_db, conn) = migrated_keeping_legacy(1);
    let stored: Vec<String> = [
        "before_insert",
        "before_update",
        "insert",
        "update",
        "delete",
    ]
    .iter()
    .map(|event| {
        conn.query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
            [format!("wrkflw_workflow_runs_capture_{event}")],
            |r| r.get(0),
        )
        .unwrap()
    })
    .collect();
    let block = format!("```sql\n{};\n```", stored.join(";\n\n"));
    assert!(
        README.contains(&block),
        "README.md's capture block differs from the triggers migrate installs:\n{block}"
    );
}

#[test]
fn readme_shows_the_row_statements_verbatim() {
    let block = format!(
        "```sql\n{};\n\n{};\n\n{};\n\n{};\n```",
        WorkflowRun::INSERT_SQL,
        WorkflowRun::UPSERT_SQL,
        WorkflowRun::UPDATE_SQL,
        WorkflowRun::SELECT_SQL
    );
    assert!(
        README.contains(&block),
        "README.md's typed-rows block differs from the generated statements:\n{block}"
    );
}

#[test]
fn readme_shows_the_step_table_and_its_sql_verbatim() {
    assert!(
        README.contains(&format!("```rust\n{STEP}```")),
        "README.md differs from tests/readme_step.rs"
    );
    let block = format!(
        "```sql\n{};\n{};\n```",
        WorkflowStep::CREATE_SQL,
        WorkflowStep::INDEX_SQL.join(";\n")
    );
    assert!(
        README.contains(&block),
        "README.md's step table block differs from the generated statements:\n{block}"
    );
}

#[test]
fn readme_step_example_runs_as_shown() {
    let db = DbFile::legacy(3);
    let mut conn = db.open();
    Migrator::new()
        .table::<WorkflowStep>()
        .table::<WorkflowRun>()
        .run(&mut conn, LegacyTable::Keep)
        .unwrap();
    let run_id = WorkflowRun::all(&conn).unwrap()[0].run_id.clone();
    let step = WorkflowStep {
        run_id: run_id.clone(),
        step_index: 0,
        name: "fetch".into(),
        idempotency_key: Some("k-1".into()),
        updated_at: 1,
    };
    step.insert(&conn).unwrap();
    assert_eq!(
        WorkflowStep::get(&conn, (run_id.as_str(), 0)).unwrap(),
        Some(step.clone())
    );
    assert_eq!(
        WorkflowStep::find_by_idempotency_key(&conn, "k-1").unwrap(),
        Some(step.clone())
    );
    assert_eq!(
        WorkflowStep::find_by_run_id_and_name(&conn, run_id.as_str(), "fetch").unwrap(),
        Some(step)
    );
}

#[test]
fn readme_shows_the_postgres_script_verbatim() {
    use wrkflw::postgres::PgTable;
    let script = WorkflowRun::pg_migration_sql(LegacyTable::Keep);
    assert!(
        README.contains(&format!("```sql\n{script}```")),
        "README.md's PostgreSQL ```sql block differs from WorkflowRun::pg_migration_sql(LegacyTable::Keep):\n{script}"
    );
}

/// The README's PostgreSQL example is `wrkflw::postgres`' doc example, which rustdoc compiles.
#[test]
fn readme_shows_the_compiled_postgres_example() {
    const MODULE: &str = include_str!("../../wrkflw/src/postgres/mod.rs");
    let start = MODULE.find("//! ```no_run\n").unwrap() + "//! ```no_run\n".len();
    let end = start + MODULE[start..].find("//! ```\n").unwrap();
    let shown: Vec<&str> = MODULE[start..end]
        .lines()
        .map(|line| {
            line.strip_prefix("//! ")
                .unwrap_or(line.trim_start_matches("//!"))
        })
        .filter(|line| !line.starts_with("# "))
        .collect();
    let block = format!("```rust\n{}\n```", shown.join("\n"));
    assert!(
        README.contains(&block),
        "README.md differs from the example:\n{block}"
    );
}
