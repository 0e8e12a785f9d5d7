//! The README shows the seed struct and its generated SQL verbatim; these tests keep it true.

use wrkflw::{LegacyTable, Table};
use wrkflw_tests::{migrated_keeping_legacy, WorkflowRun};

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
