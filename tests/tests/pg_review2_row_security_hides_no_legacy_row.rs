//! No data lost to row-level security: a migrator whose role the legacy table's policies
//! filter (the table's owner under `FORCE ROW LEVEL SECURITY`) would copy only the rows it
//! sees and, with `LegacyTable::Drop`, drop the rest. It is refused with a typed error naming
//! the table, and the database is left exactly as it was; `plan` refuses the same way.

use std::str::FromStr;

use wrkflw::postgres::driver::Config;
use wrkflw::postgres::{Client, NoTls, PgTable};
use wrkflw::{wrkflw_table, Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

#[wrkflw_table(rename_from = "notes")]
pub struct Note {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub body: Option<String>,
}

/// A role of the test's own, dropped with what it owns when the test ends.
struct Role {
    name: String,
    server: Config,
}

impl Drop for Role {
    fn drop(&mut self) {
        if let Ok(mut admin) = self.server.connect(NoTls) {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
        }
    }
}

fn assert_refused(error: &Error) {
    match error {
        Error::RowLevelSecurity { table, .. } => assert_eq!(table, "wrkflw_notes"),
        other => panic!("expected Error::RowLevelSecurity, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("notes"), "{message}");
}

#[test]
fn a_migrator_that_row_level_security_filters_is_refused_and_changes_nothing() {
    // Declared before the database, so dropped after it: a role that owns objects in a
    // database cannot be dropped, even when the test failed halfway.
    let Ok(server) = std::env::var(pg::SERVER_VARIABLE) else {
        PgDb::new();
        return;
    };
    let role = Role {
        name: format!(
            "wrkflw_review2_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ),
        server: Config::from_str(&server).unwrap(),
    };
    let Some(db) = PgDb::new() else { return };
    let mut client: Client = db.client();
    client
        .batch_execute(&format!(
            "CREATE ROLE {0};
             GRANT CREATE ON SCHEMA public TO {0};
             SET ROLE {0};
             CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT);
             INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 10) AS g;
             ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
             ALTER TABLE notes FORCE ROW LEVEL SECURITY;
             CREATE POLICY even ON notes USING (id % 2 = 0);",
            role.name
        ))
        .unwrap();
    let before = pg::database_state(&mut client);

    let planned = <Note as PgTable>::plan(&mut client, LegacyTable::Drop).unwrap_err();
    assert_refused(&planned);
    let error = <Note as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap_err();
    assert_refused(&error);

    assert_eq!(pg::database_state(&mut client), before, "{error}");
    client.batch_execute("RESET ROLE").unwrap();
    let legacy: i64 = client
        .query_one("SELECT count(*) FROM notes", &[])
        .unwrap()
        .get(0);
    assert_eq!(legacy, 10);
}
