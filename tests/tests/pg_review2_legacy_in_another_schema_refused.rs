//! No legacy rows left behind in another schema: a caller whose `search_path` is
//! `app, public` (with `app` existing) finds the legacy table in `public`, while the migration
//! works in `app`, `current_schema()`. It used to create `app.wrkflw_items` empty and report
//! `legacy_found: false`. `migrate` and `plan` refuse it with a typed error naming both
//! schemas, and nothing changes in either; with the legacy table's schema first, the same
//! client migrates. A temporary table shadowing the name neither hides the real one nor is
//! taken for it.

use wrkflw::postgres::{Client, PgTable};
use wrkflw::{wrkflw_table, Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

#[wrkflw_table(rename_from = "items")]
pub struct Item {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub name: Option<String>,
}

const LEGACY_IN_PUBLIC: &str = "
    CREATE TABLE public.items (id BIGINT PRIMARY KEY, name TEXT);
    INSERT INTO public.items VALUES (1, 'one'), (2, 'two'), (3, 'three');
    CREATE SCHEMA app;";

/// Both schemas, as `database_state` sees each, and the caller's `search_path` restored.
fn both_schemas(client: &mut Client, search_path: &str) -> String {
    let mut state = String::new();
    for schema in ["public", "app"] {
        client
            .batch_execute(&format!("SET search_path = {schema}"))
            .unwrap();
        state.push_str(&format!("[{schema}]\n{}\n", pg::database_state(client)));
    }
    client
        .batch_execute(&format!("SET search_path = {search_path}"))
        .unwrap();
    state
}

fn assert_refused(error: Error) {
    let message = error.to_string();
    match error {
        Error::LegacyTableInOtherSchema {
            table,
            legacy_table,
            legacy_schema,
            schema,
        } => {
            assert_eq!(
                (
                    table.as_str(),
                    legacy_table.as_str(),
                    legacy_schema.as_str(),
                    schema.as_str()
                ),
                ("wrkflw_items", "items", "public", "app")
            );
            assert!(
                message.contains("`public`") && message.contains("`app`"),
                "{message}"
            );
            assert!(message.contains("search_path"), "{message}");
            assert!(message.contains("nothing was changed"), "{message}");
        }
        other => panic!("expected Error::LegacyTableInOtherSchema, got {other:?}"),
    }
}

#[test]
fn a_legacy_table_in_a_later_schema_of_the_search_path_is_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client.batch_execute(LEGACY_IN_PUBLIC).unwrap();
    let search_path = "app, public";
    let before = both_schemas(&mut client, search_path);

    assert_refused(<Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap_err());
    assert_refused(<Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err());
    assert_refused(<Item as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap_err());

    assert_eq!(both_schemas(&mut client, search_path), before);
    let created: bool = client
        .query_one("SELECT to_regclass('app.wrkflw_items') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!created);

    // With the legacy table's schema first, the same client migrates every row.
    client
        .batch_execute("SET search_path = public, app")
        .unwrap();
    let report = <Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert!(report.legacy_found);
    assert_eq!(report.rows_copied, 3);
    assert_eq!(pg::count(&mut client, "wrkflw_items"), 3);
}

#[test]
fn a_temporary_table_shadowing_the_name_hides_no_legacy_table() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "{LEGACY_IN_PUBLIC}
             CREATE TEMP TABLE items (id BIGINT PRIMARY KEY, name TEXT);
             INSERT INTO pg_temp.items VALUES (9, 'scratch');
             SET search_path = app, public"
        ))
        .unwrap();
    let before = both_schemas(&mut client, "app, public");

    // The temporary table is the session's, not the legacy table: the real one is in
    // `public`, behind `app`.
    assert_refused(<Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err());
    assert_eq!(both_schemas(&mut client, "app, public"), before);
}

#[test]
fn a_missing_first_schema_or_a_temporary_table_changes_nothing_in_the_ordinary_case() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "{LEGACY_IN_PUBLIC}
             CREATE TEMP TABLE items (id BIGINT PRIMARY KEY, name TEXT);
             INSERT INTO pg_temp.items VALUES (9, 'scratch');
             SET search_path = nosuch, public"
        ))
        .unwrap();

    // `nosuch` does not exist: `public` is the current schema, where the legacy table is.
    let report = <Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert!(report.legacy_found);
    assert_eq!(report.rows_copied, 3);
    assert_eq!(pg::count(&mut client, "wrkflw_items"), 3);
    let scratch: i64 = client
        .query_one("SELECT count(*) FROM public.wrkflw_items WHERE id = 9", &[])
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0, "the temporary table's row was copied");
}
