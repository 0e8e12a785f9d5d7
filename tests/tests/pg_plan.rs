//! `plan` on PostgreSQL: the statements `migrate` would run, each with its reason, planned as
//! `migrate` plans them and without writing anything; and `migrate` then runs exactly those
//! statements, as the server itself records them (an event trigger logs each DDL command's
//! text as it ends).

use wrkflw::postgres::{PgMigrator, PgTable};
use wrkflw::{Action, CopyPath, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};
use wrkflw_tests::WorkflowRun;

const ROWS: u64 = 300;

/// Logs the text of every DDL command the server runs, in order.
const LOG_DDL: &str = "
CREATE TABLE ddl_log (n SERIAL PRIMARY KEY, query TEXT NOT NULL);
CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ddl_log (query) VALUES (current_query());
END $$;
CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION log_ddl();
";

#[test]
fn plan_lists_exactly_what_migrate_then_runs_and_writes_nothing() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, ROWS);
    client.batch_execute(LOG_DDL).unwrap();
    let before = pg::database_state(&mut client);

    let plan = <WorkflowRun as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!(pg::database_state(&mut client), before, "planning wrote");
    assert_eq!(pg::count(&mut client, "ddl_log"), 0, "planning ran DDL");
    let actions: Vec<Action> = plan.steps.iter().map(|s| s.action.clone()).collect();
    assert_eq!(
        actions,
        [
            Action::LockLegacy {
                legacy_table: "workflow_runs".into()
            },
            Action::CreateLedger,
            Action::CreateCaptureTable {
                table: "wrkflw_conflicts".into()
            },
            Action::CreateTable,
            Action::InstallCaptureFunction {
                function: "wrkflw_workflow_runs_capture".into()
            },
            Action::InstallCapture {
                trigger: "wrkflw_workflow_runs_capture".into()
            },
            Action::InstallCapture {
                trigger: "wrkflw_workflow_runs_capture_truncate".into()
            },
            Action::Copy {
                rows: ROWS,
                path: CopyPath::BulkInsert
            },
            Action::CreateIndex {
                index: "idx_wrkflw_workflow_runs_workflow_id".into()
            },
            Action::CreateIndex {
                index: "idx_wrkflw_workflow_runs_status".into()
            },
            Action::RecordLedger,
        ]
    );
    assert_eq!(
        plan.steps[0].sql,
        "LOCK TABLE public.workflow_runs IN SHARE ROW EXCLUSIVE MODE"
    );
    assert_eq!(plan.steps[3].sql, WorkflowRun::PG_CREATE_SQL);
    let text = plan.to_string();
    assert!(
        text.contains("-- 8. copy 300 legacy rows (bulk insert, indexes built after)\nINSERT INTO public.wrkflw_workflow_runs (run_id, "),
        "{text}"
    );

    let report = <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    // The DDL the server ran is the plan's, statement for statement, in order.
    let ran: Vec<String> = client
        .query("SELECT query FROM ddl_log ORDER BY n", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let planned: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| {
            !matches!(
                s.action,
                Action::LockLegacy { .. } | Action::Copy { .. } | Action::RecordLedger
            )
        })
        .map(|s| s.sql.as_str())
        .collect();
    assert_eq!(ran, planned);
    // And the copy moved the rows the plan counted.
    assert_eq!(report.rows_copied, ROWS);
    assert_eq!(
        pg::ledger(&mut client, "wrkflw_workflow_runs")
            .unwrap()
            .rows_copied,
        ROWS as i64
    );

    // Planned again: nothing to do, and so nothing run.
    let again = <WorkflowRun as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert!(again.steps.is_empty());
    client.batch_execute("TRUNCATE ddl_log").unwrap();
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(pg::count(&mut client, "ddl_log"), 0);
}

#[test]
fn plan_of_a_drop_lists_the_capture_going_with_the_legacy_table() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    pg::copy_legacy_runs(&mut client, 0, 20);
    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client.batch_execute(LOG_DDL).unwrap();

    let plans = PgMigrator::new()
        .table::<WorkflowRun>()
        .plan(&mut client, LegacyTable::Drop)
        .unwrap();

    let steps: Vec<(Action, &str)> = plans[0]
        .steps
        .iter()
        .map(|s| (s.action.clone(), s.sql.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            (
                Action::LockLegacy {
                    legacy_table: "workflow_runs".into()
                },
                "LOCK TABLE public.workflow_runs IN SHARE ROW EXCLUSIVE MODE"
            ),
            (
                Action::RemoveCapture {
                    trigger: "wrkflw_workflow_runs_capture".into()
                },
                "DROP TRIGGER wrkflw_workflow_runs_capture ON public.workflow_runs"
            ),
            (
                Action::RemoveCapture {
                    trigger: "wrkflw_workflow_runs_capture_truncate".into()
                },
                "DROP TRIGGER wrkflw_workflow_runs_capture_truncate ON public.workflow_runs"
            ),
            (
                Action::RemoveCaptureFunction {
                    function: "wrkflw_workflow_runs_capture".into()
                },
                "DROP FUNCTION public.wrkflw_workflow_runs_capture()"
            ),
            (Action::DropLegacy, "DROP TABLE public.workflow_runs"),
            (Action::RecordLedger, steps_last_sql(&plans[0])),
        ]
    );
    assert!(pg::exists(&mut client, "workflow_runs"));

    <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap();
    let ran = pg::count(&mut client, "ddl_log");
    assert_eq!(ran, 4);
    assert!(!pg::exists(&mut client, "workflow_runs"));
}

fn steps_last_sql(plan: &wrkflw::Plan) -> &str {
    &plan.steps.last().unwrap().sql
}
