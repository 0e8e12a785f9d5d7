//! Legacy rows a first PostgreSQL migration cannot copy as they are, refused before
//! anything is written with a typed error naming the table, the column and sample keys:
//! the database is exactly as it was.

use wrkflw::postgres::{Client, PgTable};
use wrkflw::{wrkflw_table, Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

/// A job of an old deployment that kept numbers, JSON and flags as text and integers.
#[wrkflw_table(rename_from = "jobs", unique(token))]
#[derive(Debug, Clone, PartialEq)]
struct Job {
    #[wrkflw(primary_key)]
    id: i64,
    name: String,
    attempts: i64,
    #[wrkflw(json)]
    payload: serde_json::Value,
    done: bool,
    token: Option<String>,
}

const JOBS: &str = "CREATE TABLE jobs (
  id BIGINT PRIMARY KEY, name TEXT, attempts TEXT, payload TEXT, done INTEGER, token TEXT
)";

/// Runs `setup` after the legacy table is created, migrates, and returns the error, after
/// checking that nothing changed.
fn refused<T: PgTable>(setup: &str, legacy: LegacyTable) -> Option<Error> {
    let db = PgDb::new()?;
    let mut client = db.client();
    client.batch_execute(setup).unwrap();
    let before = pg::database_state(&mut client);
    let error = <T as PgTable>::migrate(&mut client, legacy).unwrap_err();
    assert_eq!(pg::database_state(&mut client), before, "{error}");
    let plan = <T as PgTable>::plan(&mut client, legacy).unwrap_err();
    assert_eq!(
        plan.to_string(),
        error.to_string(),
        "plan and migrate disagree"
    );
    Some(error)
}

fn rows(client: &mut Client) -> i64 {
    pg::count(client, "wrkflw_jobs")
}

#[test]
fn the_good_rows_convert_text_numbers_json_and_zero_one_flags() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "{JOBS}; INSERT INTO jobs VALUES
               (1, 'a', ' 3', '{{\"x\": [1, 2]}}', 1, 't1'),
               (2, 'b', '-7', '\"text\"', 0, NULL)"
        ))
        .unwrap();

    let report = <Job as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!((report.rows_copied, rows(&mut client)), (2, 2));
    let job = <Job as PgTable>::get(&mut client, 1).unwrap().unwrap();
    assert_eq!(
        job,
        Job {
            id: 1,
            name: "a".into(),
            attempts: 3,
            payload: serde_json::json!({"x": [1, 2]}),
            done: true,
            token: Some("t1".into()),
        }
    );
    let job = <Job as PgTable>::get(&mut client, 2).unwrap().unwrap();
    assert_eq!((job.attempts, job.done), (-7, false));
    // The capture converts later writes the same way.
    client
        .batch_execute("INSERT INTO jobs VALUES (3, 'c', '12', '[]', 1, NULL)")
        .unwrap();
    let job = <Job as PgTable>::get(&mut client, 3).unwrap().unwrap();
    assert_eq!(
        (job.attempts, job.payload, job.done),
        (12, serde_json::json!([]), true)
    );
}

#[test]
fn a_null_where_the_table_says_not_null() {
    let Some(error) = refused::<Job>(
        &format!(
            "{JOBS}; INSERT INTO jobs VALUES (1, NULL, '1', '{{}}', 0, NULL), (2, 'b', '1', '{{}}', 0, NULL),
               (3, NULL, '1', '{{}}', 0, NULL)"
        ),
        LegacyTable::Keep,
    ) else {
        return;
    };
    match &error {
        Error::RejectedRows {
            table,
            legacy_table,
            nulls,
        } => {
            assert_eq!(
                (table.as_str(), legacy_table.as_str()),
                ("wrkflw_jobs", "jobs")
            );
            assert_eq!(nulls.len(), 1);
            assert_eq!(nulls[0].column, "name");
            assert_eq!(nulls[0].rows, 2);
            assert_eq!(nulls[0].sample_keys, ["1", "3"]);
        }
        other => panic!("expected RejectedRows, got {other:?}"),
    }
    assert!(error.to_string().contains("`name`"), "{error}");
}

#[test]
fn text_that_is_not_a_number() {
    let Some(error) = refused::<Job>(
        &format!(
            "{JOBS}; INSERT INTO jobs SELECT n, 'n', n::text, '{{}}', 0, NULL FROM generate_series(1, 5000) AS n;
             UPDATE jobs SET attempts = 'three' WHERE id IN (2345, 4001)"
        ),
        LegacyTable::Keep,
    ) else {
        return;
    };
    match &error {
        Error::WrongType {
            table,
            column,
            expected,
            sample_keys,
            ..
        } => {
            assert_eq!(
                (table.as_str(), column.as_str()),
                ("wrkflw_jobs", "attempts")
            );
            assert_eq!(expected, "integers that fit BIGINT");
            assert_eq!(sample_keys, &["2345", "4001"]);
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
}

#[test]
fn text_that_is_not_json() {
    let Some(error) = refused::<Job>(
        &format!(
            "{JOBS}; INSERT INTO jobs VALUES (1, 'a', '1', '{{\"ok\": true}}', 0, NULL),
               (2, 'b', '1', '{{broken', 0, NULL)"
        ),
        LegacyTable::Keep,
    ) else {
        return;
    };
    match &error {
        Error::WrongType {
            column,
            expected,
            sample_keys,
            ..
        } => {
            assert_eq!((column.as_str(), expected.as_str()), ("payload", "JSON"));
            assert_eq!(sample_keys, &["2"]);
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
}

#[test]
fn an_integer_flag_that_is_not_zero_or_one() {
    let Some(error) = refused::<Job>(
        &format!("{JOBS}; INSERT INTO jobs VALUES (1, 'a', '1', '{{}}', 2, NULL)"),
        LegacyTable::Keep,
    ) else {
        return;
    };
    match &error {
        Error::WrongType {
            column,
            sample_keys,
            ..
        } => assert_eq!(
            (column.as_str(), sample_keys.as_slice()),
            ("done", &["1".to_owned()][..])
        ),
        other => panic!("expected WrongType, got {other:?}"),
    }
}

#[test]
fn two_legacy_rows_under_one_key() {
    let Some(error) = refused::<Job>(
        "CREATE TABLE jobs (id BIGINT, name TEXT, attempts TEXT, payload TEXT, done INTEGER, token TEXT);
         INSERT INTO jobs VALUES (1, 'a', '1', '{}', 0, NULL), (1, 'b', '2', '{}', 0, NULL),
           (2, 'c', '1', '{}', 0, NULL)",
        LegacyTable::Drop,
    ) else {
        return;
    };
    match &error {
        Error::DuplicateKeys {
            table,
            column,
            sample_keys,
            ..
        } => {
            assert_eq!((table.as_str(), column.as_str()), ("wrkflw_jobs", "id"));
            assert_eq!(sample_keys, &["1, 1"]);
        }
        other => panic!("expected DuplicateKeys, got {other:?}"),
    }
}

/// A key an old deployment kept as text.
#[wrkflw_table(rename_from = "tickets")]
struct Ticket {
    #[wrkflw(primary_key)]
    id: i64,
    title: String,
}

#[test]
fn text_keys_that_are_one_number() {
    let Some(error) = refused::<Ticket>(
        "CREATE TABLE tickets (id TEXT PRIMARY KEY, title TEXT);
         INSERT INTO tickets VALUES ('1', 'a'), ('01', 'b'), ('2', 'c')",
        LegacyTable::Drop,
    ) else {
        return;
    };
    match &error {
        Error::DuplicateKeys { sample_keys, .. } => assert_eq!(sample_keys, &["'01', '1'"]),
        other => panic!("expected DuplicateKeys, got {other:?}"),
    }
}

#[test]
fn a_text_key_cannot_carry_the_capture() {
    let Some(error) = refused::<Ticket>(
        "CREATE TABLE tickets (id TEXT PRIMARY KEY, title TEXT);
         INSERT INTO tickets VALUES ('1', 'a')",
        LegacyTable::Keep,
    ) else {
        return;
    };
    match &error {
        Error::CannotCapture {
            column, problem, ..
        } => {
            assert_eq!(column, "id");
            assert!(
                matches!(problem, wrkflw::KeyProblem::Type { .. }),
                "{problem:?}"
            );
        }
        other => panic!("expected CannotCapture, got {other:?}"),
    }
}

#[test]
fn values_a_unique_index_holds_twice() {
    let Some(error) = refused::<Job>(
        &format!(
            "{JOBS}; INSERT INTO jobs VALUES (1, 'a', '1', '{{}}', 0, 'same'), (2, 'b', '1', '{{}}', 0, 'same'),
               (3, 'c', '1', '{{}}', 0, NULL), (4, 'd', '1', '{{}}', 0, NULL)"
        ),
        LegacyTable::Keep,
    ) else {
        return;
    };
    match &error {
        Error::UniqueViolation {
            table,
            index,
            found_in,
            duplicates,
            sample_values,
            ..
        } => {
            assert_eq!((table.as_str(), found_in.as_str()), ("wrkflw_jobs", "jobs"));
            assert_eq!(*index, "uq_wrkflw_jobs_token");
            assert_eq!(
                (*duplicates, sample_values.as_slice()),
                (1, &["'same'".to_owned()][..])
            );
        }
        other => panic!("expected UniqueViolation, got {other:?}"),
    }
}

#[wrkflw_table(rename_from = "owners", prefix = "app_")]
struct Owner {
    #[wrkflw(primary_key)]
    id: i64,
}

#[wrkflw_table(rename_from = "pets", prefix = "app_")]
struct Pet {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(references = Owner)]
    owner: i64,
}

#[test]
fn references_to_no_row() {
    let Some(error) = refused::<Pet>(
        "CREATE TABLE app_owners (id BIGINT PRIMARY KEY);
         INSERT INTO app_owners VALUES (1);
         CREATE TABLE pets (id BIGINT PRIMARY KEY, owner BIGINT);
         INSERT INTO pets VALUES (1, 1), (2, 9), (3, 9), (4, 8)",
        LegacyTable::Keep,
    ) else {
        return;
    };
    match &error {
        Error::DanglingReferences {
            table,
            column,
            parent,
            rows,
            sample_values,
        } => {
            assert_eq!(
                (table.as_str(), column.as_str(), parent.as_str()),
                ("app_pets", "owner", "app_owners")
            );
            assert_eq!(
                (*rows, sample_values.as_slice()),
                (3, &["8".to_owned(), "9".to_owned()][..])
            );
        }
        other => panic!("expected DanglingReferences, got {other:?}"),
    }
}
