//! Unique indexes in migrations: rows that would break one are refused before anything is
//! written, with the index, the count and sample values, and the file stays as it was.

use wrkflw::{wrkflw_table, Error, LegacyTable, Table};
use wrkflw_tests::{indexes, DbFile};

#[wrkflw_table(rename_from = "jobs", unique(queue, name))]
pub struct Job {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub queue: String,
    pub name: Option<String>,
}

/// The same table before `unique` was added to it.
#[wrkflw_table(name = "accounts")]
pub struct AccountBefore {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub email: String,
}

#[wrkflw_table(name = "accounts")]
pub struct AccountAfter {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(unique)]
    pub email: String,
}

fn legacy_jobs(rows: &[(i64, &str, Option<&str>)]) -> DbFile {
    let db = DbFile::new();
    let conn = db.open();
    conn.execute_batch("CREATE TABLE jobs (id INTEGER PRIMARY KEY, queue TEXT, name TEXT)")
        .unwrap();
    for row in rows {
        conn.execute("INSERT INTO jobs VALUES (?1, ?2, ?3)", *row)
            .unwrap();
    }
    db
}

#[test]
fn legacy_rows_that_share_unique_values_are_refused_before_the_copy() {
    let db = legacy_jobs(&[
        (1, "mail", Some("welcome")),
        (2, "mail", Some("welcome")),
        (3, "mail", Some("reset")),
        (4, "sms", Some("reset")),
        (5, "sms", Some("reset")),
        (6, "sms", None),
        (7, "sms", None),
    ]);
    let mut conn = db.open();
    let before = db.bytes();
    let err = Job::migrate(&mut conn, LegacyTable::Drop).unwrap_err();
    match &err {
        Error::UniqueViolation {
            table,
            index,
            columns,
            found_in,
            duplicates,
            sample_values,
        } => {
            assert_eq!(
                (table.as_str(), *index, found_in.as_str(), *duplicates),
                ("wrkflw_jobs", "uq_wrkflw_jobs_queue_name", "jobs", 2)
            );
            assert_eq!(*columns, ["queue", "name"]);
            // NULLs never clash in a unique index: (sms, NULL) twice is fine.
            assert_eq!(sample_values, &["'mail', 'welcome'", "'sms', 'reset'"]);
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string()
            .contains("2 values of (queue, name) are held by more than one row"),
        "{err}"
    );
    drop(conn);
    assert_eq!(db.bytes(), before);
    let mut conn = db.open();
    conn.execute("DELETE FROM jobs WHERE id IN (2, 5)", [])
        .unwrap();
    assert_eq!(
        Job::migrate(&mut conn, LegacyTable::Drop)
            .unwrap()
            .rows_copied,
        5
    );
}

#[test]
fn a_unique_index_added_to_a_table_with_duplicates_is_refused() {
    let db = DbFile::new();
    let mut conn = db.open();
    AccountBefore::migrate(&mut conn, LegacyTable::Keep).unwrap();
    for (id, email) in [(1, "a@x"), (2, "b@x"), (3, "a@x")] {
        AccountBefore {
            id,
            email: email.into(),
        }
        .insert(&conn)
        .unwrap();
    }
    drop(conn);
    let before = db.bytes();
    let mut conn = db.open();
    let err = AccountAfter::migrate(&mut conn, LegacyTable::Keep).unwrap_err();
    assert!(
        matches!(&err, Error::UniqueViolation { found_in, duplicates: 1, sample_values, .. }
            if found_in == "wrkflw_accounts" && sample_values == &["'a@x'"]),
        "{err}"
    );
    drop(conn);
    assert_eq!(db.bytes(), before);

    let mut conn = db.open();
    assert!(AccountBefore::delete(&conn, 3).unwrap());
    AccountAfter::migrate(&mut conn, LegacyTable::Keep).unwrap();
    assert!(indexes(&conn, "wrkflw_accounts").contains(&(
        "uq_wrkflw_accounts_email".to_owned(),
        vec!["email".to_owned()]
    )));
    assert_eq!(
        AccountAfter::find_by_email(&conn, "a@x")
            .unwrap()
            .map(|a| a.id),
        Some(1)
    );
}
