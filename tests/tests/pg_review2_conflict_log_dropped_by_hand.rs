//! Every write an old deployment makes still arrives after the conflict log was dropped by
//! hand: the capture writes to the log, so without it every write to the legacy table fails.
//! A re-run cannot trust what was captured without the log (a rejected row's entry is gone),
//! so it creates the log again, reconciles the tables by key, and the old deployment's writes
//! arrive again.

use wrkflw::postgres::{Client, PgTable};
use wrkflw::{wrkflw_table, CaptureStatus, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

#[wrkflw_table(rename_from = "notes")]
pub struct Note {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub body: Option<String>,
}

fn bodies(client: &mut Client) -> Vec<(i64, Option<String>)> {
    client
        .query("SELECT id, body FROM wrkflw_notes ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn a_rerun_after_the_conflict_log_was_dropped_restores_the_capture() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(
            "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT);
             INSERT INTO notes VALUES (1, 'a'), (2, 'b');",
        )
        .unwrap();
    <Note as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client.batch_execute("DROP TABLE wrkflw_conflicts").unwrap();

    let plan = <Note as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    let report = <Note as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    let planned: Vec<_> = plan.steps.iter().map(|s| s.action.clone()).collect();
    assert!(
        planned
            .iter()
            .any(|a| matches!(a, wrkflw::Action::CreateCaptureTable { .. })),
        "{planned:?}"
    );
    assert!(pg::exists(&mut client, "wrkflw_conflicts"));
    assert_eq!(report.capture, Some(CaptureStatus::Restored));

    // An old deployment's writes arrive again.
    client
        .batch_execute(
            "INSERT INTO notes VALUES (3, 'c');
             UPDATE notes SET body = 'aa' WHERE id = 1;
             DELETE FROM notes WHERE id = 2;",
        )
        .unwrap();
    assert_eq!(
        bodies(&mut client),
        [(1, Some("aa".to_owned())), (3, Some("c".to_owned()))]
    );
    let again = <Note as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(again.capture, Some(CaptureStatus::Active));
    assert_eq!(again.rows_copied, 0);
}
