//! The `wrkflw` command line, run as a process on real files: every subcommand in text and
//! JSON, every exit code, where the database comes from, and a database the original library
//! wrote migrated by `wrkflw migrate`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use wrkflw::storage::WorkflowStorage;
use wrkflw::LegacyTable;
use wrkflw_tests::{count, exists, DbFile};

/// What a run of the binary left.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// Runs `wrkflw` with `args` and `env`, none of the database variables inherited.
fn wrkflw_with(args: &[&str], env: &[(&str, &str)], dir: Option<&Path>) -> Ran {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wrkflw-cli"));
    command
        .args(args)
        .env_remove("WRKFLW_DATABASE")
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command.output().expect("run the wrkflw binary");
    Ran {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn wrkflw(args: &[&str]) -> Ran {
    wrkflw_with(args, &[], None)
}

fn path(db: &DbFile) -> &str {
    db.path().to_str().unwrap()
}

#[test]
fn status_check_exits_2_before_migrating_and_0_after() {
    let db = DbFile::legacy(40);
    let before = wrkflw(&["status", "--check", "--database", path(&db)]);
    assert_eq!(before.code, 2, "{}{}", before.stdout, before.stderr);
    assert!(before.stdout.contains("wrkflw_workflow_runs: pending"));
    assert!(before
        .stdout
        .contains("legacy table:   workflow_runs, 40 rows"));
    assert!(before.stdout.contains("waiting:        40 rows to copy"));
    assert!(before.stdout.contains("never migrated"));
    // Without --check, pending is not an error.
    assert_eq!(wrkflw(&["status", "--database", path(&db)]).code, 0);

    let json = wrkflw(&[
        "status",
        "--check",
        "--format",
        "json",
        "--database",
        path(&db),
    ]);
    assert_eq!(json.code, 2);
    let v = json.json();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["command"], "status");
    assert_eq!(v["database"], path(&db));
    assert_eq!(v["pending"], true);
    let table = &v["tables"][0];
    assert_eq!(table["table"], "wrkflw_workflow_runs");
    assert_eq!(table["table_exists"], false);
    assert_eq!(table["rows"], Value::Null);
    assert_eq!(table["legacy_table"], "workflow_runs");
    assert_eq!(table["legacy_exists"], true);
    assert_eq!(table["legacy_rows"], 40);
    assert_eq!(table["rows_waiting"], 40);
    assert_eq!(table["last_run"], Value::Null);
    assert!(table["steps"].as_u64().unwrap() > 0);

    assert_eq!(wrkflw(&["migrate", "--database", path(&db)]).code, 0);

    let after = wrkflw(&["status", "--check", "--database", path(&db)]);
    assert_eq!(after.code, 0, "{}{}", after.stdout, after.stderr);
    assert!(after.stdout.contains("up to date: nothing to migrate"));
    let v = wrkflw(&[
        "status",
        "--check",
        "--format",
        "json",
        "--database",
        path(&db),
    ])
    .json();
    let table = &v["tables"][0];
    assert_eq!(
        (&table["pending"], &table["rows"], &table["rows_waiting"]),
        (&Value::Bool(false), &Value::from(40), &Value::from(0))
    );
    assert_eq!(table["last_run"]["rows_copied"], 40);
    assert_eq!(table["last_run"]["capture"], true);
    assert!(table["last_run"]["migrated_at"].as_i64().unwrap() > 1_600_000_000);
    assert!(table["last_run"]["migrated_at_utc"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
}

#[test]
fn status_reports_schema_drift_and_check_fails_on_it() {
    let db = DbFile::legacy(3);
    wrkflw::storage::WorkflowStorage::migrator()
        .run(&mut db.open(), LegacyTable::Drop)
        .unwrap();
    // The table as an older struct made it: without `error`, which the struct now has.
    db.open()
        .execute_batch("ALTER TABLE wrkflw_workflow_runs DROP COLUMN error")
        .unwrap();
    let ran = wrkflw(&[
        "status",
        "--check",
        "--format",
        "json",
        "--database",
        path(&db),
    ]);
    assert_eq!(ran.code, 2);
    let table = &ran.json()["tables"][0];
    assert_eq!(table["legacy_exists"], false);
    assert_eq!(table["rows_waiting"], 0);
    assert_eq!(
        table["schema_changes"],
        serde_json::json!(["add column error, new in the struct"])
    );
    let text = wrkflw(&["status", "--database", path(&db)]);
    assert!(text
        .stdout
        .contains("schema drift:\n    - add column error, new in the struct"));
}

#[test]
fn plan_prints_every_statement_with_its_reason_and_writes_nothing() {
    let db = DbFile::legacy(25);
    let schema_before = wrkflw_tests::schema(&db.open());
    let text = wrkflw(&["plan", "--database", path(&db)]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let expected = WorkflowStorage::migrator()
        .plan(&db.open(), LegacyTable::Keep)
        .unwrap();
    assert_eq!(text.stdout, expected[0].to_string());
    assert!(text.stdout.contains("copy 25 legacy rows"));

    let v = wrkflw(&[
        "plan",
        "--drop-legacy",
        "--format",
        "json",
        "--database",
        path(&db),
    ])
    .json();
    assert_eq!(
        (&v["command"], &v["legacy"]),
        (&"plan".into(), &"drop".into())
    );
    let steps = v["tables"][0]["steps"].as_array().unwrap();
    let copy = steps.iter().find(|s| s["action"] == "copy").unwrap();
    assert!(copy["reason"]
        .as_str()
        .unwrap()
        .starts_with("copy 25 legacy rows"));
    assert!(copy["sql"].as_str().unwrap().starts_with("INSERT INTO"));
    assert_eq!(steps.last().unwrap()["action"], "record_ledger");
    assert!(steps.iter().any(|s| s["action"] == "drop_legacy"));

    assert_eq!(wrkflw_tests::schema(&db.open()), schema_before);
}

#[test]
fn a_database_the_original_library_wrote_is_migrated_by_wrkflw_migrate() {
    let db = DbFile::legacy(300);
    let ran = wrkflw(&["migrate", "--database", path(&db)]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        "wrkflw_workflow_runs: created; copied 300 rows from workflow_runs (bulk insert, indexes built after); \
         kept workflow_runs; change capture installed\n"
    );
    let conn = db.open();
    assert_eq!(count(&conn, "wrkflw_workflow_runs"), 300);
    drop(conn);
    // The original library's storage reads the runs.
    let storage = WorkflowStorage::open(db.path()).unwrap();
    assert_eq!(storage.list_runs(None).unwrap().len(), 300);
    drop(storage);
    // The storage left the file in WAL mode, with indexes of its own: nothing pending.
    let status = wrkflw(&["status", "--check", "--database", path(&db)]);
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);

    let again = wrkflw(&[
        "migrate",
        "--drop-legacy",
        "--format",
        "json",
        "--database",
        path(&db),
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let v = again.json();
    assert_eq!(
        (&v["command"], &v["legacy"]),
        (&"migrate".into(), &"drop".into())
    );
    let report = &v["tables"][0];
    assert_eq!(report["table"], "wrkflw_workflow_runs");
    assert_eq!(report["legacy_table"], "workflow_runs");
    assert_eq!(report["legacy_found"], true);
    assert_eq!(report["table_created"], false);
    assert_eq!(report["rows_copied"], 0);
    assert_eq!(report["copy_path"], Value::Null);
    assert_eq!(report["legacy_dropped"], true);
    assert_eq!(report["capture"], "removed");
    assert_eq!(report["conflicts"], serde_json::json!([]));
    assert!(report["summary"]
        .as_str()
        .unwrap()
        .contains("dropped workflow_runs"));
    assert!(!exists(&db.open(), "workflow_runs"));
}

#[test]
fn migrate_reports_the_first_copy_in_json() {
    let db = DbFile::legacy(12);
    let v = wrkflw(&["migrate", "--format", "json", "--database", path(&db)]).json();
    let report = &v["tables"][0];
    assert_eq!(v["schema_version"], 1);
    assert_eq!(report["table_created"], true);
    assert_eq!(report["rows_copied"], 12);
    assert_eq!(report["copy_path"], "bulk_insert");
    assert_eq!(report["capture"], "installed");
    assert_eq!(report["legacy_dropped"], false);
}

#[test]
fn sql_prints_each_generated_script_without_a_database() {
    let text = wrkflw(&["sql"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let scripts = WorkflowStorage::migrator().migration_sql(LegacyTable::Keep);
    assert_eq!(text.stdout, scripts[0].1);
    let v = wrkflw(&["sql", "--drop-legacy", "--format", "json"]).json();
    let dropping = WorkflowStorage::migrator().migration_sql(LegacyTable::Drop);
    assert_eq!(v["command"], "sql");
    assert_eq!(v["legacy"], "drop");
    assert_eq!(v["tables"][0]["table"], "wrkflw_workflow_runs");
    assert_eq!(v["tables"][0]["sql"], dropping[0].1);
}

#[test]
fn no_database_exits_1_and_says_where_to_give_one() {
    let text = wrkflw(&["status"]);
    assert_eq!(text.code, 1);
    assert_eq!(text.stdout, "");
    assert!(text.stderr.contains("error: no database given"));
    assert!(text.stderr.contains("hint: pass --database PATH"));
    let v = wrkflw(&["status", "--format", "json"]).json();
    assert_eq!(v["error"], "no_database");
    assert_eq!(v["command"], "status");
    assert_eq!(v["exit_code"], 1);
    assert!(v["hint"].as_str().unwrap().contains("WRKFLW_DATABASE"));
}

#[test]
fn a_missing_database_file_exits_1_and_is_not_created() {
    let db = DbFile::new();
    for command in ["status", "plan", "migrate"] {
        let ran = wrkflw(&[command, "--format", "json", "--database", path(&db)]);
        assert_eq!(ran.code, 1, "{command}");
        let v = ran.json();
        assert_eq!(v["error"], "database_not_found", "{command}");
        assert!(v["message"].as_str().unwrap().contains(path(&db)));
    }
    assert!(!db.path().exists());
}

#[test]
fn a_bad_flag_exits_1() {
    let text = wrkflw(&["status", "--bogus"]);
    assert_eq!(text.code, 1);
    assert!(text.stderr.contains("--bogus"));
    let json = wrkflw(&["--format", "json", "status", "--bogus"]);
    assert_eq!(json.code, 1);
    let v = json.json();
    assert_eq!(
        (&v["error"], &v["command"]),
        (&"usage".into(), &Value::Null)
    );
    assert_eq!(wrkflw(&["migrate", "--busy-timeout", "soon"]).code, 1);
    assert_eq!(wrkflw(&["frobnicate"]).code, 1);
    // Help is not an error.
    let help = wrkflw(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("status"));
}

#[test]
fn a_migration_refused_exits_1_with_the_typed_error() {
    // A legacy row with NULL in a NOT NULL column: RejectedRows, nothing changed.
    let db = DbFile::new();
    db.open()
        .execute_batch(
            "CREATE TABLE workflow_runs (run_id TEXT PRIMARY KEY, workflow_id TEXT, status TEXT);
             INSERT INTO workflow_runs VALUES ('r1', NULL, 'running');",
        )
        .unwrap();
    let text = wrkflw(&["migrate", "--database", path(&db)]);
    assert_eq!(text.code, 1);
    // Progress lines come first on stderr (it is not a terminal), then the error.
    assert!(
        text.stderr
            .lines()
            .any(|l| l.starts_with("error: cannot migrate `workflow_runs`")),
        "{}",
        text.stderr
    );
    let v = wrkflw(&["migrate", "--format", "json", "--database", path(&db)]).json();
    assert_eq!(v["error"], "rejected_rows");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("nothing was changed"));
    assert!(!exists(&db.open(), "wrkflw_workflow_runs"));
}

#[test]
fn a_write_lock_held_past_the_busy_timeout_exits_3() {
    let db = DbFile::legacy(5);
    let holder = db.open();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let text = wrkflw(&[
        "migrate",
        "--busy-timeout",
        "200ms",
        "--database",
        path(&db),
    ]);
    assert_eq!(text.code, 3, "{}", text.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(text.stderr.contains("over 200 ms"), "{}", text.stderr);
    assert!(text.stderr.contains("--busy-timeout"));
    let v = wrkflw(&[
        "migrate",
        "--format",
        "json",
        "--busy-timeout",
        "200ms",
        "--database",
        path(&db),
    ])
    .json();
    assert_eq!((&v["error"], &v["exit_code"]), (&"busy".into(), &3.into()));
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(!exists(&db.open(), "wrkflw_workflow_runs"));
    assert_eq!(wrkflw(&["migrate", "--database", path(&db)]).code, 0);
}

#[test]
fn the_flag_wins_over_wrkflw_database_which_wins_over_database_url() {
    let (flag, named, url) = (DbFile::legacy(1), DbFile::legacy(2), DbFile::legacy(3));
    let database = |ran: Ran| -> String {
        assert_eq!(ran.code, 0, "{}", ran.stdout);
        ran.json()["database"].as_str().unwrap().to_owned()
    };
    let url_value = format!("sqlite://{}", path(&url));
    let all = [
        ("WRKFLW_DATABASE", path(&named)),
        ("DATABASE_URL", url_value.as_str()),
    ];
    let status = ["status", "--format", "json"];
    let with_flag = [&status[..], &["--database", path(&flag)]].concat();
    assert_eq!(database(wrkflw_with(&with_flag, &all, None)), path(&flag));
    assert_eq!(database(wrkflw_with(&status, &all, None)), path(&named));
    assert_eq!(database(wrkflw_with(&status, &all[1..], None)), path(&url));
    // `sqlite:` with a relative path, read from the working directory.
    let relative = wrkflw_with(
        &status,
        &[("DATABASE_URL", "sqlite:app.sqlite3")],
        url.path().parent(),
    );
    assert_eq!(database(relative), "app.sqlite3");
    // An empty variable counts as unset.
    let empty = [
        ("WRKFLW_DATABASE", ""),
        ("DATABASE_URL", url_value.as_str()),
    ];
    assert_eq!(database(wrkflw_with(&status, &empty, None)), path(&url));
    // A URL of another database is an error.
    let other = wrkflw_with(
        &status,
        &[("DATABASE_URL", "postgres://localhost/app")],
        None,
    );
    assert_eq!(other.code, 1);
    assert_eq!(other.json()["error"], "database_url");
}
