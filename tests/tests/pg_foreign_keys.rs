//! Several PostgreSQL tables with foreign keys in one `PgMigrator` run: referenced tables
//! migrate first, legacy tables that reference each other are dropped in an order their
//! foreign keys allow (a cycle in one statement), and a cycle among the structs is refused.

use wrkflw::postgres::{Client, PgMigrator};
use wrkflw::{wrkflw_table, Action, Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

#[wrkflw_table(rename_from = "runs")]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
    status: String,
}

#[wrkflw_table(rename_from = "steps")]
struct Step {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(references = Run, on_delete = "cascade")]
    run_id: String,
}

const LEGACY: &str = "
CREATE TABLE runs (id TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE steps (id BIGINT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id));
INSERT INTO runs VALUES ('r1', 'done'), ('r2', 'running');
INSERT INTO steps VALUES (1, 'r1'), (2, 'r1'), (3, 'r2');
";

/// The child added first: the run still migrates the parent first.
fn migrator() -> PgMigrator {
    PgMigrator::new().table::<Step>().table::<Run>()
}

#[test]
fn referenced_tables_migrate_first_and_legacy_tables_drop_referencing_first() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client.batch_execute(LEGACY).unwrap();

    // Planned together: the steps' references count the runs the same run copies.
    let plans = migrator().plan(&mut client, LegacyTable::Drop).unwrap();
    assert_eq!(
        (plans[0].table.as_str(), plans[1].table.as_str()),
        ("wrkflw_steps", "wrkflw_runs")
    );
    let drops: Vec<Action> = plans[0]
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::DropLegacy | Action::DropLegacyOf { .. }))
        .map(|s| s.action.clone())
        .collect();
    assert_eq!(
        drops,
        [
            Action::DropLegacy,
            Action::DropLegacyOf {
                legacy_table: "runs".into()
            }
        ]
    );

    let reports = migrator().run(&mut client, LegacyTable::Drop).unwrap();

    assert_eq!(
        (reports[0].table.as_str(), reports[0].rows_copied),
        ("wrkflw_steps", 3)
    );
    assert_eq!(
        (reports[1].table.as_str(), reports[1].rows_copied),
        ("wrkflw_runs", 2)
    );
    assert!(reports.iter().all(|r| r.legacy_dropped));
    assert!(!pg::exists(&mut client, "runs") && !pg::exists(&mut client, "steps"));
    // The new tables' foreign key holds.
    client
        .batch_execute("DELETE FROM wrkflw_runs WHERE id = 'r1'")
        .unwrap();
    assert_eq!(pg::count(&mut client, "wrkflw_steps"), 1);
}

#[test]
fn legacy_tables_that_reference_each_other_are_dropped_together() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "{LEGACY}
             ALTER TABLE runs ADD COLUMN last_step BIGINT REFERENCES steps (id);
             UPDATE runs SET last_step = 2 WHERE id = 'r1';"
        ))
        .unwrap();

    let plans = migrator().plan(&mut client, LegacyTable::Drop).unwrap();
    let last: Vec<&str> = plans[0]
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::DropLegacyOf { .. }))
        .map(|s| s.sql.as_str())
        .collect();
    assert_eq!(last, ["DROP TABLE public.runs, public.steps"]);

    let reports = migrator().run(&mut client, LegacyTable::Drop).unwrap();

    assert!(reports.iter().all(|r| r.legacy_dropped));
    assert!(!pg::exists(&mut client, "runs") && !pg::exists(&mut client, "steps"));
    assert_eq!(reports[1].legacy_only_columns, ["last_step"]);
}

#[test]
fn a_reference_to_no_row_of_the_parent_is_refused_in_plan_and_run_alike() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(
            "CREATE TABLE runs (id TEXT PRIMARY KEY, status TEXT NOT NULL);
             CREATE TABLE steps (id BIGINT PRIMARY KEY, run_id TEXT NOT NULL);
             INSERT INTO runs VALUES ('r1', 'done');
             INSERT INTO steps VALUES (1, 'r1'), (2, 'gone');",
        )
        .unwrap();
    let before = pg::database_state(&mut client);
    let check = |error: Error| match error {
        Error::DanglingReferences {
            table,
            column,
            parent,
            sample_values,
            ..
        } => assert_eq!(
            (
                table.as_str(),
                column.as_str(),
                parent.as_str(),
                sample_values
            ),
            (
                "wrkflw_steps",
                "run_id",
                "wrkflw_runs",
                vec!["'gone'".to_owned()]
            )
        ),
        other => panic!("expected DanglingReferences, got {other:?}"),
    };
    check(migrator().plan(&mut client, LegacyTable::Keep).unwrap_err());
    check(migrator().run(&mut client, LegacyTable::Keep).unwrap_err());
    assert_eq!(pg::database_state(&mut client), before);
}

#[test]
fn another_table_referencing_the_legacy_table_keeps_it() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "{LEGACY} CREATE TABLE audit (run_id TEXT REFERENCES runs (id));"
        ))
        .unwrap();
    let before = pg::database_state(&mut client);

    let error = migrator().run(&mut client, LegacyTable::Drop).unwrap_err();

    match error {
        Error::ReferencedByForeignKeys {
            legacy_table,
            tables,
        } => assert_eq!(
            (legacy_table.as_str(), tables),
            ("runs", vec!["audit".to_owned()])
        ),
        other => panic!("expected ReferencedByForeignKeys, got {other:?}"),
    }
    assert_eq!(pg::database_state(&mut client), before);
}

mod cycle {
    use wrkflw::wrkflw_table;

    #[wrkflw_table(name = "hens")]
    pub struct Hen {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(references = Egg)]
        pub egg: Option<i64>,
    }

    #[wrkflw_table(name = "eggs")]
    pub struct Egg {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(references = Hen)]
        pub hen: Option<i64>,
    }
}

#[test]
fn structs_that_reference_each_other_are_a_cycle() {
    let Some(db) = PgDb::new() else { return };
    let mut client: Client = db.client();
    let error = PgMigrator::new()
        .table::<cycle::Hen>()
        .table::<cycle::Egg>()
        .run(&mut client, LegacyTable::Keep)
        .unwrap_err();
    match error {
        Error::ForeignKeyCycle { tables } => assert_eq!(tables, ["wrkflw_hens", "wrkflw_eggs"]),
        other => panic!("expected ForeignKeyCycle, got {other:?}"),
    }
    assert!(!pg::exists(&mut client, "wrkflw_hens"));
}
