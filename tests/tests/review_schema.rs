//! Review reproductions (branch `review`): generated schemas that compile but are wrong at
//! run time. Each test states the promise; each fails on the reviewed commit.

#![allow(dead_code)]

use wrkflw::rusqlite::Connection;
use wrkflw::{wrkflw_table, LegacyTable, Migrator, Table};

// --- A referenced table or key whose name is an SQL keyword -------------------------------

/// `prefix = ""` on a struct called `Order` gives the table `order`, which its own SQL
/// quotes (`"order"`).
#[wrkflw_table(prefix = "")]
pub struct Order {
    #[wrkflw(primary_key)]
    pub id: i64,
}

#[wrkflw_table]
pub struct LineItem {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Order)]
    pub order_id: i64,
}

/// A key column called `index` (quoted in its own table's SQL).
#[wrkflw_table]
pub struct Slot {
    #[wrkflw(primary_key)]
    pub index: i64,
}

#[wrkflw_table]
pub struct Booking {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Slot)]
    pub slot: i64,
}

/// Names that reach SQL are quoted where SQLite reads them as keywords (STYLE.md 8); the
/// `REFERENCES` clause joined from another struct's constants is not.
#[test]
fn review_references_to_a_keyword_table_or_key_are_quoted() {
    assert_eq!(Order::TABLE_NAME, "order");
    let mut conn = Connection::open_in_memory().unwrap();
    let result = Migrator::new()
        .table::<Order>()
        .table::<LineItem>()
        .table::<Slot>()
        .table::<Booking>()
        .run(&mut conn, LegacyTable::Keep);
    assert!(
        result.is_ok(),
        "{}\n{}\n{}",
        result.unwrap_err(),
        LineItem::CREATE_SQL,
        Booking::CREATE_SQL
    );
}

// --- Two indexes of one table under one name -----------------------------------------------

/// The field `queue_name` is unique on its own, and the struct asks for `(queue, name)` to be
/// unique too: both are named `uq_wrkflw_job_queue_name`.
#[wrkflw_table(unique(queue, name))]
pub struct Job {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub queue: String,
    pub name: String,
    #[wrkflw(unique)]
    pub queue_name: String,
}

/// Two indexes of one table must not share a name (index names are global in SQLite). The
/// macro accepts this struct; `migrate` then fails with SQLite's raw "index
/// uq_wrkflw_job_queue_name already exists", so the struct can never be migrated.
#[test]
fn review_two_indexes_of_one_table_do_not_share_a_name() {
    assert_ne!(
        Job::INDEXES[0].name,
        Job::INDEXES[1].name,
        "{:?}",
        Job::INDEXES
    );
}

#[test]
fn review_a_struct_with_two_unique_indexes_migrates() {
    let mut conn = Connection::open_in_memory().unwrap();
    let migrated = Job::migrate(&mut conn, LegacyTable::Keep);
    assert!(migrated.is_ok(), "{}", migrated.unwrap_err());
}

/// The documented by-hand path, `migration_sql`, runs `CREATE UNIQUE INDEX IF NOT EXISTS`
/// for both: the second is a no-op and the `(queue, name)` uniqueness is silently missing.
#[test]
fn review_the_migration_script_enforces_a_declared_unique_pair() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(Job::migration_sql(LegacyTable::Keep))
        .unwrap();
    let job = |id: i64, queue_name: &str| Job {
        id,
        queue: "mail".into(),
        name: "welcome".into(),
        queue_name: queue_name.into(),
    };
    job(1, "a").insert(&conn).unwrap();
    assert!(
        job(2, "b").insert(&conn).is_err(),
        "a second row with (queue, name) = ('mail', 'welcome') was accepted"
    );
}

// --- A composite key of six columns ----------------------------------------------------------

#[wrkflw_table]
#[derive(Debug)]
pub struct Six {
    #[wrkflw(primary_key)]
    pub a: i64,
    #[wrkflw(primary_key)]
    pub b: i64,
    #[wrkflw(primary_key)]
    pub c: i64,
    #[wrkflw(primary_key)]
    pub d: i64,
    #[wrkflw(primary_key)]
    pub e: i64,
    #[wrkflw(primary_key)]
    pub f: i64,
}

/// "A key with the wrong number of values for its table is a compile error" (the `Key`
/// docs). `KeySize` stops at `Five`, and a six-column key falls back to `One`: a single value
/// compiles, and fails at run time; the right six values cannot be passed at all, so a row
/// of this table can never be read or deleted by key.
#[test]
fn review_a_six_column_key_is_refused_at_compile_time_or_usable() {
    let mut conn = Connection::open_in_memory().unwrap();
    Six::migrate(&mut conn, LegacyTable::Keep).unwrap();
    Six {
        a: 1,
        b: 2,
        c: 3,
        d: 4,
        e: 5,
        f: 6,
    }
    .insert(&conn)
    .unwrap();
    // Compiles: the key size of a six-column key is `One`.
    let got = Six::get(&conn, 1);
    assert!(got.is_ok(), "{}", got.unwrap_err());
}

// --- A self reference of another SQL type ----------------------------------------------------

/// `references = Other` with a field of another SQL type than `Other`'s key is a compile
/// error (ui/references-type-mismatch); `references = Self` is not checked at all.
#[wrkflw_table]
pub struct Node {
    #[wrkflw(primary_key)]
    pub id: i64,
    #[wrkflw(references = Self)]
    pub parent: Option<String>,
}

#[test]
fn review_a_self_reference_has_the_type_of_the_key() {
    let parent = Node::COLUMNS[1];
    let key = Node::COLUMNS[0];
    assert_eq!(
        parent.sql_type, key.sql_type,
        "compiled although `parent` ({}) references `id` ({})",
        parent.sql_type, key.sql_type
    );
}
