//! A partitioned legacy table is not kept behind a capture that cannot see every write to
//! it: a `TRUNCATE` of one partition fires no trigger of the partitioned table (truncate
//! triggers are not cloned to partitions), nor does `ATTACH` or `DETACH PARTITION`, so rows
//! would stay in the new table that the legacy table no longer holds, and the next run would
//! report the capture active. `migrate` and `plan` with `LegacyTable::Keep` refuse it with a
//! typed error before anything is written; `LegacyTable::Drop` copies every row and drops the
//! table with its partitions.

use wrkflw::postgres::PgTable;
use wrkflw::{wrkflw_table, Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

#[wrkflw_table(rename_from = "items")]
pub struct Item {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub name: Option<String>,
}

const PARTITIONED_ITEMS: &str = "
    CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT) PARTITION BY RANGE (id);
    CREATE TABLE items_a PARTITION OF items FOR VALUES FROM (0) TO (100);
    CREATE TABLE items_b PARTITION OF items FOR VALUES FROM (100) TO (200);
    INSERT INTO items VALUES (1, 'a1'), (2, 'a2'), (101, 'b1'), (102, 'b2'), (103, 'b3');";

fn assert_refused(error: Error) {
    let message = error.to_string();
    match error {
        Error::PartitionedLegacyTable {
            table,
            legacy_table,
        } => {
            assert_eq!(
                (table.as_str(), legacy_table.as_str()),
                ("wrkflw_items", "items")
            );
            assert!(
                message.contains("partitioned table or has child"),
                "{message}"
            );
            assert!(message.contains("LegacyTable::Drop"), "{message}");
            assert!(message.contains("nothing was changed"), "{message}");
        }
        other => panic!("expected Error::PartitionedLegacyTable, got {other:?}"),
    }
}

#[test]
fn keeping_a_partitioned_legacy_table_is_refused_before_anything_is_written() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client.batch_execute(PARTITIONED_ITEMS).unwrap();
    let before = pg::database_state(&mut client);

    assert_refused(<Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap_err());
    assert_refused(<Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err());

    assert_eq!(pg::database_state(&mut client), before);
    assert!(!pg::exists(&mut client, "wrkflw_items"));
    assert!(pg::triggers(&mut client, "items").is_empty());
}

#[test]
fn a_partitioned_legacy_table_migrates_with_drop_every_row_copied() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client.batch_execute(PARTITIONED_ITEMS).unwrap();

    let plan = <Item as PgTable>::plan(&mut client, LegacyTable::Drop).unwrap();
    assert!(
        plan.steps.iter().any(|s| s.sql.starts_with("DROP TABLE")),
        "{plan}"
    );
    let report = <Item as PgTable>::migrate(&mut client, LegacyTable::Drop).unwrap();

    assert!(report.legacy_found);
    assert_eq!(report.rows_copied, 5);
    assert!(report.legacy_dropped);
    assert_eq!(pg::count(&mut client, "wrkflw_items"), 5);
    let b: String = client
        .query_one("SELECT name FROM wrkflw_items WHERE id = 103", &[])
        .unwrap()
        .get(0);
    assert_eq!(b, "b3");
    for gone in ["items", "items_a", "items_b"] {
        assert!(!pg::exists(&mut client, gone), "{gone} is still there");
    }
}

/// A legacy table with a child table (`INHERITS`) reads the child's rows, but a write to the
/// child fires no trigger of the legacy table's: kept, the capture would miss it. Refused as
/// a partitioned one is.
#[test]
fn keeping_a_legacy_table_with_child_tables_is_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(
            "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT);
             CREATE TABLE items_archive () INHERITS (items);
             INSERT INTO items VALUES (1, 'a');
             INSERT INTO items_archive VALUES (2, 'b');",
        )
        .unwrap();
    let before = pg::database_state(&mut client);
    assert_refused(<Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap_err());
    assert_refused(<Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err());
    assert_eq!(pg::database_state(&mut client), before);
    assert!(!pg::exists(&mut client, "wrkflw_items"));
}
