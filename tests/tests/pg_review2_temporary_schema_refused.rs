//! Nothing created where it would vanish: a caller whose `search_path` puts `pg_temp` first
//! would have the table created in the session's temporary schema, dropped with the session
//! (and the legacy table, in `public`, not found). `migrate` and `plan` refuse it with a typed
//! error naming the table and the schema, and nothing changes.

use wrkflw::postgres::PgTable;
use wrkflw::{wrkflw_table, Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

#[wrkflw_table(rename_from = "notes")]
pub struct Note {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub body: Option<String>,
}

fn assert_refused(error: Error) {
    match error {
        Error::TemporarySchema { table, schema } => {
            assert_eq!(table, "wrkflw_notes");
            assert!(schema.starts_with("pg_temp"), "{schema}");
        }
        other => panic!("expected Error::TemporarySchema, got {other:?}"),
    }
}

#[test]
fn a_search_path_with_pg_temp_first_is_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(
            "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT);
             INSERT INTO notes VALUES (1, 'a');
             CREATE TEMP TABLE scratch (x int);
             SET search_path = pg_temp, public",
        )
        .unwrap();
    let before = pg::database_state(&mut client);

    assert_refused(<Note as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap_err());
    assert_refused(<Note as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err());

    assert_eq!(pg::database_state(&mut client), before);
    client.batch_execute("SET search_path = public").unwrap();
    assert!(!pg::exists(&mut client, "wrkflw_notes"));
    // With a permanent schema first, the same client migrates.
    let report = <Note as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.rows_copied, 1);
}
