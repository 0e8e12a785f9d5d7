//! Drift on PostgreSQL: a table that differs from its struct is altered in place, each path
//! checked against the table's rows first; a change that would lose data is refused with
//! `Error::SchemaDrift` naming the table and column, and the database is left as it was.

use wrkflw::postgres::{Client, PgTable};
use wrkflw::{wrkflw_table, Action, ColumnChange, Error, LegacyTable};
use wrkflw_tests::pg::{self, PgDb};

/// Each version of the `wrkflw_items` table.
mod v1 {
    use super::*;
    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        pub qty: Option<i32>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
    }
}

fn items(db: &PgDb) -> Client {
    let mut client = db.client();
    <v1::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client
        .batch_execute(
            "INSERT INTO wrkflw_items (id, title, price, qty) VALUES (1, 'a', 1.0, 3), (2, 'b', 2.0, NULL)",
        )
        .unwrap();
    client
}

fn changes(plan: &wrkflw::Plan) -> Vec<Action> {
    plan.steps.iter().map(|s| s.action.clone()).collect()
}

/// Migrates `T`, expecting a refusal that names `column`, and checks nothing changed.
fn refused<T: PgTable>(client: &mut Client, column: &str) -> Vec<String> {
    let before = pg::database_state(client);
    let error = <T as PgTable>::migrate(client, LegacyTable::Keep).unwrap_err();
    assert_eq!(pg::database_state(client), before, "{error}");
    match error {
        Error::SchemaDrift { table, differences } => {
            assert_eq!(table, "wrkflw_items");
            assert!(
                differences
                    .iter()
                    .any(|d| d.contains(&format!("`{column}`"))),
                "{differences:?}"
            );
            differences
        }
        other => panic!("expected SchemaDrift, got {other:?}"),
    }
}

mod added {
    use super::*;
    #[wrkflw_table(name = "items", index(title), index(color))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        pub qty: Option<i32>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
        pub color: Option<String>,
        #[wrkflw(default = "7")]
        pub rank: i64,
    }
}

#[test]
fn columns_the_struct_gained_are_added_with_their_defaults_and_indexes() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    let plan = <added::Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(
        changes(&plan),
        [
            Action::AddColumn {
                column: "color".into()
            },
            Action::AddColumn {
                column: "rank".into()
            },
            Action::CreateIndex {
                index: "idx_wrkflw_items_color".into()
            },
            Action::RecordLedger,
        ]
    );
    assert_eq!(
        plan.steps[1].sql,
        "ALTER TABLE public.wrkflw_items ADD COLUMN rank BIGINT NOT NULL DEFAULT 7"
    );

    let report = <added::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!(report.columns_added, ["color", "rank"]);
    let ranks: Vec<i64> = client
        .query("SELECT rank FROM wrkflw_items ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ranks, [7, 7]);
    let again = <added::Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert!(again.steps.is_empty(), "{again}");
}

mod required {
    use super::*;
    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        pub qty: Option<i32>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
        pub sku: String,
    }
}

#[test]
fn a_required_column_without_a_default_is_refused_while_the_table_has_rows() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    let differences = refused::<required::Item>(&mut client, "sku");
    assert!(differences[0].contains("make it `Option<_>` or give it a `default`"));
    // On an empty table it is simply added.
    client.batch_execute("DELETE FROM wrkflw_items").unwrap();
    let report = <required::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.columns_added, ["sku"]);
    let sku = pg::columns(&mut client, "wrkflw_items").pop().unwrap();
    assert_eq!((sku.0.as_str(), sku.2), ("sku", true));
}

mod renamed {
    use super::*;
    #[wrkflw_table(name = "items", index(name))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        #[wrkflw(rename_from = "title")]
        pub name: String,
        pub price: f64,
        pub qty: Option<i32>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
    }
}

#[test]
fn a_renamed_field_renames_its_column_with_its_values() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    let report = <renamed::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(
        report.columns_renamed,
        [("title".to_owned(), "name".to_owned())]
    );
    let names: Vec<String> = client
        .query("SELECT name FROM wrkflw_items ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert!(pg::indexes(&mut client, "wrkflw_items")
        .iter()
        .any(|(name, _)| name == "idx_wrkflw_items_name"));
}

mod retyped {
    use super::*;
    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: i64,
        pub qty: Option<i64>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
    }
}

#[test]
fn a_type_the_values_convert_to_is_altered_in_place() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    let plan = <retyped::Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(
        plan.steps[1].action,
        Action::AlterColumn {
            column: "qty".into(),
            change: ColumnChange::Type {
                from: "integer".into(),
                to: "BIGINT".into()
            }
        }
    );
    assert_eq!(
        plan.steps[1].sql,
        "ALTER TABLE public.wrkflw_items ALTER COLUMN qty TYPE BIGINT USING qty::bigint"
    );

    let report = <retyped::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    assert_eq!(report.columns_altered, ["price", "qty"]);
    let columns = pg::columns(&mut client, "wrkflw_items");
    assert_eq!(columns[2].1, "bigint");
    assert_eq!(columns[3].1, "bigint");
    let prices: Vec<i64> = client
        .query("SELECT price FROM wrkflw_items ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(prices, [1, 2]);
}

#[test]
fn a_type_that_would_change_a_value_is_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    client
        .batch_execute("UPDATE wrkflw_items SET price = 1.5 WHERE id = 2")
        .unwrap();
    let differences = refused::<retyped::Item>(&mut client, "price");
    assert!(
        differences[0].contains("would change the values of rows with keys 2"),
        "{differences:?}"
    );
}

mod text_qty {
    use super::*;
    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        pub qty: Option<String>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
    }
}

#[test]
fn a_type_that_a_value_would_not_convert_to_is_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    // Back and forth: integer to text converts; text that is not a number does not return.
    <text_qty::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client
        .batch_execute("UPDATE wrkflw_items SET qty = 'several' WHERE id = 1")
        .unwrap();
    let differences = refused::<v1::Item>(&mut client, "qty");
    assert!(
        differences[0]
            .contains("rows with keys 1 hold values that are not integers that fit INTEGER"),
        "{differences:?}"
    );
}

mod nullability {
    use super::*;
    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: Option<String>,
        pub price: f64,
        pub qty: i32,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
    }
}

#[test]
fn not_null_is_set_when_no_row_holds_null_and_dropped_for_an_option() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    // Row 2's qty is NULL: refused.
    let differences = refused::<nullability::Item>(&mut client, "qty");
    assert!(
        differences[0].contains("holds NULL in 1 rows"),
        "{differences:?}"
    );
    client
        .batch_execute("UPDATE wrkflw_items SET qty = 0 WHERE qty IS NULL")
        .unwrap();

    let plan = <nullability::Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(
        changes(&plan)[..2],
        [
            Action::AlterColumn {
                column: "title".into(),
                change: ColumnChange::DropNotNull
            },
            Action::AlterColumn {
                column: "qty".into(),
                change: ColumnChange::SetNotNull
            },
        ]
    );
    <nullability::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    let columns = pg::columns(&mut client, "wrkflw_items");
    assert_eq!((columns[1].2, columns[3].2), (false, true));
}

mod defaults {
    use super::*;
    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        #[wrkflw(default = "9.5")]
        pub price: f64,
        pub qty: Option<i32>,
        pub state: String,
        pub note: Option<String>,
    }
}

#[test]
fn defaults_are_set_and_dropped_as_the_struct_declares_them() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    let plan = <defaults::Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(
        changes(&plan)[..2],
        [
            Action::AlterColumn {
                column: "price".into(),
                change: ColumnChange::SetDefault {
                    default: "9.5".into()
                }
            },
            Action::AlterColumn {
                column: "state".into(),
                change: ColumnChange::DropDefault
            },
        ]
    );
    let report = <defaults::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(report.columns_altered, ["price", "state"]);
    let columns = pg::columns(&mut client, "wrkflw_items");
    assert_eq!(
        (columns[2].3.as_deref(), columns[4].3.as_deref()),
        (Some("9.5"), None)
    );
    // An unchanged default is not set again, and a re-run writes nothing.
    let again = <defaults::Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert!(again.steps.is_empty(), "{again}");
}

mod fewer {
    use super::*;
    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        #[wrkflw(default = "'new'")]
        pub state: String,
    }

    #[wrkflw_table(name = "items", index(title), drop_columns("qty"))]
    pub struct Consenting {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        #[wrkflw(default = "'new'")]
        pub state: String,
    }
}

#[test]
fn a_column_no_field_keeps_is_dropped_only_when_empty_or_consented() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    // `note` holds only NULL; `qty` holds data.
    let differences = refused::<fewer::Item>(&mut client, "qty");
    assert!(
        differences[0].contains("drop_columns(\\\"qty\\\")")
            || differences[0].contains("drop_columns(\"qty\")"),
        "{differences:?}"
    );

    let report = <fewer::Consenting as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();

    let mut dropped = report.columns_dropped.clone();
    dropped.sort();
    assert_eq!(dropped, ["note", "qty"]);
    let names: Vec<String> = pg::columns(&mut client, "wrkflw_items")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, ["id", "title", "price", "state"]);
}

mod referencing {
    use super::*;
    #[wrkflw_table(name = "shops")]
    pub struct Shop {
        #[wrkflw(primary_key)]
        pub id: i64,
    }

    #[wrkflw_table(name = "items", index(title))]
    pub struct Item {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        #[wrkflw(references = Shop, on_delete = "cascade")]
        pub qty: Option<i32>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
    }

    #[wrkflw_table(name = "items", index(title))]
    pub struct SetNull {
        #[wrkflw(primary_key)]
        pub id: i64,
        pub title: String,
        pub price: f64,
        #[wrkflw(references = Shop, on_delete = "set_null")]
        pub qty: Option<i32>,
        #[wrkflw(default = "'new'")]
        pub state: String,
        pub note: Option<String>,
    }
}

#[test]
fn foreign_keys_are_added_changed_and_removed_and_dangling_rows_refused() {
    let Some(db) = PgDb::new() else { return };
    let mut client = items(&db);
    <referencing::Shop as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    client
        .batch_execute("INSERT INTO wrkflw_shops VALUES (1)")
        .unwrap();
    // Item 1 points at shop 3, which is not there.
    let before = pg::database_state(&mut client);
    let error =
        <referencing::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap_err();
    assert_eq!(pg::database_state(&mut client), before);
    match error {
        Error::DanglingReferences {
            table,
            column,
            parent,
            rows,
            sample_values,
        } => assert_eq!(
            (
                table.as_str(),
                column.as_str(),
                parent.as_str(),
                rows,
                sample_values
            ),
            (
                "wrkflw_items",
                "qty",
                "wrkflw_shops",
                1,
                vec!["3".to_owned()]
            )
        ),
        other => panic!("expected DanglingReferences, got {other:?}"),
    }

    client
        .batch_execute("INSERT INTO wrkflw_shops VALUES (3)")
        .unwrap();
    let plan = <referencing::Item as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(
        plan.steps[0].sql,
        "ALTER TABLE public.wrkflw_items ADD FOREIGN KEY (qty) REFERENCES public.wrkflw_shops (id) ON DELETE CASCADE"
    );
    <referencing::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    let constraint = |client: &mut Client| -> Vec<String> {
        client
            .query(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE conrelid = 'wrkflw_items'::regclass AND contype = 'f'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(
        constraint(&mut client),
        ["FOREIGN KEY (qty) REFERENCES wrkflw_shops(id) ON DELETE CASCADE"]
    );

    // Changed: dropped and added again.
    let plan = <referencing::SetNull as PgTable>::plan(&mut client, LegacyTable::Keep).unwrap();
    assert!(
        matches!(plan.steps[0].action, Action::DropForeignKey { .. }),
        "{plan}"
    );
    assert!(
        matches!(plan.steps[1].action, Action::AddForeignKey { .. }),
        "{plan}"
    );
    <referencing::SetNull as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert_eq!(
        constraint(&mut client),
        ["FOREIGN KEY (qty) REFERENCES wrkflw_shops(id) ON DELETE SET NULL"]
    );

    // Removed from the struct: dropped.
    <v1::Item as PgTable>::migrate(&mut client, LegacyTable::Keep).unwrap();
    assert!(constraint(&mut client).is_empty());
}
