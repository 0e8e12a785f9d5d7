//! Typed rows on PostgreSQL at their edges, on a real server: every integer type and its
//! `Option` at both extremes, floats that are not numbers, text and JSON PostgreSQL cannot
//! hold (a NUL character), bytes from none to megabytes, JSON of every shape, composite keys
//! of mixed types, keys of another integer type, `from_pg_row` on hand-written queries,
//! names PostgreSQL reserves, errors inside a caller's transaction, references and their
//! `on_delete`, and the row methods on a `Client`, a `Transaction` and another thread.
//!
//! The tables are made with the generated DDL, as in `pg_rows.rs`.

use serde_json::{json, Value};
use wrkflw::postgres::driver::error::SqlState;
use wrkflw::postgres::driver::{Client, Transaction};
use wrkflw::postgres::{GenericClient, PgTable};
use wrkflw::{wrkflw_table, Error};
use wrkflw_tests::pg::PgDb;

/// Creates `T`'s table and its indexes.
fn create<T: PgTable>(client: &mut Client) {
    client.batch_execute(T::PG_CREATE_SQL).unwrap();
    for index in T::PG_INDEX_SQL {
        client.batch_execute(index).unwrap();
    }
}

/// A database with `T`'s table, or `None` when no server is named.
fn table<T: PgTable>() -> Option<(PgDb, Client)> {
    let db = PgDb::new()?;
    let mut client = db.client();
    create::<T>(&mut client);
    Some((db, client))
}

/// The SQLSTATE of a row method's PostgreSQL error, for the assertions.
fn sql_state(error: &Error) -> Option<&SqlState> {
    match error {
        Error::PgRows { source, .. } => source.code(),
        _ => None,
    }
}

/// Asserts `error` is [`Error::Encode`] for `table`.`column` and that its reason says `why`.
#[track_caller]
fn assert_encode(error: &Error, table: &str, column: &str, why: &str) {
    match error {
        Error::Encode {
            table: found_table,
            column: found_column,
            reason,
        } => {
            assert_eq!(
                (found_table.as_str(), found_column.as_str()),
                (table, column)
            );
            assert!(reason.contains(why), "{reason}");
            assert!(
                error.to_string().contains(&format!("`{table}`.`{column}`")),
                "{error}"
            );
        }
        other => panic!("expected Encode of {table}.{column}, got {other:?}"),
    }
}

/// Every integer type, each with an `Option` beside it.
#[wrkflw_table(name = "integers")]
#[derive(Debug, Clone, PartialEq)]
struct Integers {
    #[wrkflw(primary_key)]
    id: u32,
    i8: i8,
    u8: u8,
    i16: i16,
    u16: u16,
    i32: i32,
    u32: u32,
    i64: i64,
    maybe_i8: Option<i8>,
    maybe_u8: Option<u8>,
    maybe_i16: Option<i16>,
    maybe_u16: Option<u16>,
    maybe_i32: Option<i32>,
    maybe_u32: Option<u32>,
    maybe_i64: Option<i64>,
    maybe_bool: Option<bool>,
}

#[test]
fn every_integer_type_and_its_option_round_trip_at_both_extremes_and_as_none() {
    let Some((_db, mut client)) = table::<Integers>() else {
        return;
    };
    let lowest = Integers {
        id: u32::MIN,
        i8: i8::MIN,
        u8: u8::MIN,
        i16: i16::MIN,
        u16: u16::MIN,
        i32: i32::MIN,
        u32: u32::MIN,
        i64: i64::MIN,
        maybe_i8: Some(i8::MIN),
        maybe_u8: Some(u8::MIN),
        maybe_i16: Some(i16::MIN),
        maybe_u16: Some(u16::MIN),
        maybe_i32: Some(i32::MIN),
        maybe_u32: Some(u32::MIN),
        maybe_i64: Some(i64::MIN),
        maybe_bool: Some(false),
    };
    let highest = Integers {
        id: u32::MAX,
        i8: i8::MAX,
        u8: u8::MAX,
        i16: i16::MAX,
        u16: u16::MAX,
        i32: i32::MAX,
        u32: u32::MAX,
        i64: i64::MAX,
        maybe_i8: Some(i8::MAX),
        maybe_u8: Some(u8::MAX),
        maybe_i16: Some(i16::MAX),
        maybe_u16: Some(u16::MAX),
        maybe_i32: Some(i32::MAX),
        maybe_u32: Some(u32::MAX),
        maybe_i64: Some(i64::MAX),
        maybe_bool: Some(true),
    };
    let none = Integers {
        id: 7,
        maybe_i8: None,
        maybe_u8: None,
        maybe_i16: None,
        maybe_u16: None,
        maybe_i32: None,
        maybe_u32: None,
        maybe_i64: None,
        maybe_bool: None,
        ..lowest.clone()
    };
    for row in [&lowest, &highest, &none] {
        row.insert(&mut client).unwrap();
    }
    assert_eq!(
        Integers::get(&mut client, u32::MAX).unwrap().as_ref(),
        Some(&highest)
    );
    assert_eq!(
        Integers::get(&mut client, 0u32).unwrap().as_ref(),
        Some(&lowest)
    );
    assert_eq!(
        Integers::get(&mut client, 7u32).unwrap().as_ref(),
        Some(&none)
    );
    assert_eq!(
        Integers::all(&mut client).unwrap(),
        [lowest, none, highest.clone()]
    );
    // The server holds the numbers themselves: it orders and compares them as numbers.
    let stored: (i64, i16, i16, i32, i64, i64) = client
        .query_one(
            "SELECT id, i8, u8, u16, u32, maybe_u32 FROM wrkflw_integers ORDER BY id DESC LIMIT 1",
            &[],
        )
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .unwrap();
    assert_eq!(
        stored,
        (
            4_294_967_295,
            127,
            255,
            65_535,
            4_294_967_295,
            4_294_967_295
        )
    );
    // Update and upsert write the same values back.
    let mut changed = highest.clone();
    changed.maybe_u8 = None;
    changed.u16 = 1;
    assert!(changed.update(&mut client).unwrap());
    assert_eq!(
        Integers::get(&mut client, u32::MAX).unwrap(),
        Some(changed.clone())
    );
    highest.upsert(&mut client).unwrap();
    assert_eq!(Integers::get(&mut client, u32::MAX).unwrap(), Some(highest));
}

/// Keys are given in whatever integer type the caller has: any value the column holds finds
/// its row, and one it cannot hold finds none (as on SQLite, where no such row can exist
/// either), rather than failing.
#[wrkflw_table(name = "small_keys")]
#[derive(Debug, Clone, PartialEq)]
struct SmallKey {
    #[wrkflw(primary_key)]
    id: i16,
    #[wrkflw(unique)]
    code: u8,
}

#[test]
fn a_key_of_another_integer_type_finds_the_row_and_one_the_column_cannot_hold_finds_none() {
    let Some((_db, mut client)) = table::<SmallKey>() else {
        return;
    };
    SmallKey { id: 7, code: 200 }.insert(&mut client).unwrap();
    SmallKey { id: -3, code: 1 }.insert(&mut client).unwrap();
    for found in [
        SmallKey::get(&mut client, 7i64).unwrap(),
        SmallKey::get(&mut client, 7i32).unwrap(),
        SmallKey::get(&mut client, 7u32).unwrap(),
        SmallKey::get(&mut client, 7u8).unwrap(),
        SmallKey::get(&mut client, 7i8).unwrap(),
        SmallKey::get(&mut client, 7u16).unwrap(),
    ] {
        assert_eq!(found, Some(SmallKey { id: 7, code: 200 }));
    }
    assert_eq!(
        SmallKey::get(&mut client, -3i64).unwrap().map(|k| k.code),
        Some(1)
    );
    // Beyond SMALLINT: no row can have it.
    assert_eq!(SmallKey::get(&mut client, 100_000i64).unwrap(), None);
    assert_eq!(SmallKey::get(&mut client, u32::MAX).unwrap(), None);
    assert!(!SmallKey::delete(&mut client, i64::MIN).unwrap());
    assert_eq!(SmallKey::count(&mut client).unwrap(), 2);
    assert!(SmallKey::delete(&mut client, 7u8).unwrap());
    assert_eq!(SmallKey::count(&mut client).unwrap(), 1);
}

/// Floats keep what PostgreSQL's `REAL` and `DOUBLE PRECISION` keep: NaN, both infinities,
/// negative zero and the smallest subnormals.
#[wrkflw_table(name = "floats")]
#[derive(Debug, Clone)]
struct Floats {
    #[wrkflw(primary_key)]
    id: i64,
    single: f32,
    double: f64,
    maybe_single: Option<f32>,
    maybe_double: Option<f64>,
}

#[test]
fn floats_keep_nan_infinities_negative_zero_and_subnormals() {
    let Some((_db, mut client)) = table::<Floats>() else {
        return;
    };
    let singles = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        f32::from_bits(1),
        f32::MIN_POSITIVE,
        f32::EPSILON,
    ];
    let doubles = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        f64::from_bits(1),
        f64::MIN_POSITIVE,
        0.1 + 0.2,
    ];
    for (id, (single, double)) in singles.iter().zip(doubles).enumerate() {
        Floats {
            id: id as i64,
            single: *single,
            double,
            maybe_single: Some(*single),
            maybe_double: (id % 2 == 0).then_some(double),
        }
        .insert(&mut client)
        .unwrap();
    }
    for (id, (single, double)) in singles.iter().zip(doubles).enumerate() {
        let row = Floats::get(&mut client, id as i64).unwrap().unwrap();
        // Bit for bit: NaN is not equal to itself, and -0.0 equals 0.0.
        assert_eq!(row.single.to_bits(), single.to_bits(), "row {id}");
        assert_eq!(row.double.to_bits(), double.to_bits(), "row {id}");
        assert_eq!(row.maybe_single.map(f32::to_bits), Some(single.to_bits()));
        assert_eq!(
            row.maybe_double.map(f64::to_bits),
            (id % 2 == 0).then_some(double.to_bits())
        );
    }
    // The server sees NaN and the infinities as such.
    let nan: bool = client
        .query_one(
            "SELECT single = 'NaN'::real AND double = 'NaN'::float8 FROM wrkflw_floats WHERE id = 0",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(nan);
}

/// Text of every kind, bytes of every size.
#[wrkflw_table(name = "notes", index(tag))]
#[derive(Debug, Clone, PartialEq)]
struct Note {
    #[wrkflw(primary_key)]
    id: String,
    body: String,
    tag: Option<String>,
    data: Vec<u8>,
    #[wrkflw(json)]
    meta: Option<Value>,
}

fn note(id: &str, body: &str) -> Note {
    Note {
        id: id.to_owned(),
        body: body.to_owned(),
        tag: None,
        data: vec![],
        meta: None,
    }
}

#[test]
fn text_and_bytes_round_trip_from_empty_to_megabytes() {
    let Some((_db, mut client)) = table::<Note>() else {
        return;
    };
    let long = "wrkflw ✓ ".repeat(200_000);
    let every_byte: Vec<u8> = (0..=255).collect();
    let large: Vec<u8> = (0..8 * 1024 * 1024)
        .map(|i: u32| (i * 31 % 251) as u8)
        .collect();
    let notes = [
        Note {
            tag: Some(String::new()),
            ..note("", "")
        },
        Note {
            data: every_byte,
            ..note("quote's \"double\" \\back\\", "tab\tnewline\nreturn\r")
        },
        Note {
            data: large,
            tag: Some("ε".into()),
            ..note("emoji 🦀 and combining é", "\u{FEFF}\u{202E}RTL\u{FFFF}")
        },
        note("long", &long),
    ];
    for n in &notes {
        n.insert(&mut client).unwrap();
    }
    for n in &notes {
        assert_eq!(
            Note::get(&mut client, n.id.as_str()).unwrap().as_ref(),
            Some(n),
            "{:?}",
            n.id
        );
    }
    // An empty string is a value, not NULL, in the key and elsewhere.
    assert_eq!(
        Note::pg_find_by_tag(&mut client, "").unwrap(),
        [notes[0].clone()]
    );
    assert_eq!(Note::pg_find_by_tag(&mut client, None).unwrap().len(), 2);
    let lengths: (i32, i32) = client
        .query_one(
            "SELECT octet_length(data), (SELECT octet_length(body) FROM wrkflw_notes WHERE id = 'long')
             FROM wrkflw_notes WHERE id LIKE 'emoji%'",
            &[],
        )
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(lengths, (8 * 1024 * 1024, long.len() as i32));
}

/// PostgreSQL keeps no NUL character in TEXT or JSONB (SQLite does): a value holding one is
/// refused before it is sent, naming the table and column, and a caller's transaction goes
/// on as if the call had not been made.
#[test]
fn text_or_json_with_a_nul_character_is_an_encode_error_naming_table_and_column() {
    let Some((_db, mut client)) = table::<Note>() else {
        return;
    };
    let table = "wrkflw_notes";
    let why = "NUL";
    assert_encode(
        &note("n1", "a\0b").insert(&mut client).unwrap_err(),
        table,
        "body",
        why,
    );
    assert_encode(
        &note("n\0", "b").insert(&mut client).unwrap_err(),
        table,
        "id",
        why,
    );
    let tagged = Note {
        tag: Some("\0".into()),
        ..note("n2", "b")
    };
    assert_encode(&tagged.upsert(&mut client).unwrap_err(), table, "tag", why);
    let meta = Note {
        meta: Some(json!({"nested": ["ok", "a\u{0}b"]})),
        ..note("n3", "b")
    };
    assert_encode(&meta.insert(&mut client).unwrap_err(), table, "meta", why);
    let key = Note {
        meta: Some(json!({"k\u{0}": 1})),
        ..note("n3", "b")
    };
    assert_encode(&key.insert(&mut client).unwrap_err(), table, "meta", why);
    // A NUL escaped as text is no NUL: `\\u0000` is stored as written.
    let escaped = Note {
        meta: Some(json!({"text": "\\u0000"})),
        ..note("n4", "\\0")
    };
    escaped.insert(&mut client).unwrap();
    assert_eq!(Note::get(&mut client, "n4").unwrap(), Some(escaped.clone()));
    let mut changed = escaped.clone();
    changed.body = "\0".into();
    assert_encode(
        &changed.update(&mut client).unwrap_err(),
        table,
        "body",
        why,
    );

    // Inside a transaction: the refused row was never sent, so the transaction is not
    // aborted and what it wrote before and after commits.
    let mut tx = client.transaction().unwrap();
    note("t1", "before").insert(&mut tx).unwrap();
    assert_encode(
        &note("t2", "\0").insert(&mut tx).unwrap_err(),
        table,
        "body",
        why,
    );
    note("t3", "after").insert(&mut tx).unwrap();
    tx.commit().unwrap();
    let ids: Vec<String> = Note::all(&mut client)
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(ids, ["n4", "t1", "t3"]);
}

/// No stored row can hold a NUL, so looking one up finds nothing, as looking up any other
/// key that is not there: `None`, `false`, no rows.
#[test]
fn looking_up_text_with_a_nul_character_finds_nothing() {
    let Some((_db, mut client)) = table::<Note>() else {
        return;
    };
    Note {
        tag: Some("a".into()),
        ..note("a", "a")
    }
    .insert(&mut client)
    .unwrap();
    assert_eq!(Note::get(&mut client, "a\0").unwrap(), None);
    assert!(!Note::delete(&mut client, "a\0").unwrap());
    assert_eq!(Note::pg_find_by_tag(&mut client, "a\0").unwrap(), []);
    assert_eq!(Note::count(&mut client).unwrap(), 1);
    // And within a transaction, which goes on.
    let mut tx = client.transaction().unwrap();
    assert_eq!(Note::get(&mut tx, "\0").unwrap(), None);
    assert!(Note::get(&mut tx, "a").unwrap().is_some());
    tx.commit().unwrap();
}

/// JSON columns: JSON `null`, deep nesting, every escape, integers at their extremes.
/// (JSONB keeps numbers as `numeric` and prints them in full: serde_json, without its
/// `float_roundtrip` feature, reads many a float back as a neighbour, as it does on SQLite,
/// and refuses `f64::MAX` printed in full.)
#[wrkflw_table(name = "documents")]
#[derive(Debug, Clone, PartialEq)]
struct Document {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(json)]
    body: Value,
    #[wrkflw(json)]
    extra: Option<Value>,
    #[wrkflw(json)]
    counts: Vec<u64>,
}

#[test]
fn json_columns_hold_null_deep_nesting_escapes_and_extreme_numbers() {
    let Some((_db, mut client)) = table::<Document>() else {
        return;
    };
    let mut deep = json!("bottom");
    for level in 0..100 {
        deep = if level % 2 == 0 {
            json!([deep])
        } else {
            json!({ "level": deep })
        };
    }
    let bodies = [
        Value::Null,
        deep,
        json!({"quote": "\"", "backslash": "\\", "control": "\u{1}\u{1f}", "unicode": "é🦀\u{FFFF}", "": ""}),
        json!([i64::MIN, i64::MAX, u64::MAX, 0.5, -0.25, 1024.125, 0]),
        json!({}),
        json!([]),
    ];
    for (id, body) in bodies.iter().enumerate() {
        Document {
            id: id as i64,
            body: body.clone(),
            extra: (id % 2 == 0).then_some(Value::Null),
            counts: vec![0, u64::MAX],
        }
        .insert(&mut client)
        .unwrap();
    }
    for (id, body) in bodies.iter().enumerate() {
        let doc = Document::get(&mut client, id as i64).unwrap().unwrap();
        assert_eq!(&doc.body, body, "document {id}");
        assert_eq!(doc.extra, (id % 2 == 0).then_some(Value::Null));
        assert_eq!(doc.counts, [0, u64::MAX]);
    }
    // JSON `null` in a field that is not an `Option` is a value, not SQL NULL.
    let kinds: Vec<Option<String>> = client
        .query(
            "SELECT jsonb_typeof(body) FROM wrkflw_documents WHERE id = 0
             UNION ALL SELECT jsonb_typeof(extra) FROM wrkflw_documents WHERE id = 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, [Some("null".to_owned()), None]);
    // JSON a hand-written statement stored that does not fit the field: a typed Decode
    // naming the table, column and key, never a panic.
    client
        .batch_execute(
            "INSERT INTO wrkflw_documents (id, body, counts) VALUES (99, 'null', '[-1]')",
        )
        .unwrap();
    match Document::get(&mut client, 99).unwrap_err() {
        Error::Decode {
            table, column, key, ..
        } => assert_eq!(
            (table.as_str(), column.as_str(), key.as_deref()),
            ("wrkflw_documents", "counts", Some("99"))
        ),
        other => panic!("expected Decode, got {other:?}"),
    }
}

/// A composite key of text, `u32` and `i16`: found by a tuple of the caller's integer types,
/// named as a tuple when taken.
#[wrkflw_table(name = "shards", index(tenant, live))]
#[derive(Debug, Clone, PartialEq)]
struct Shard {
    #[wrkflw(primary_key)]
    tenant: String,
    #[wrkflw(primary_key)]
    shard: u32,
    #[wrkflw(primary_key)]
    seq: i16,
    live: Option<bool>,
    weight: f64,
}

#[test]
fn a_composite_key_of_mixed_types_with_a_u32_part_finds_updates_and_names_its_row() {
    let Some((_db, mut client)) = table::<Shard>() else {
        return;
    };
    let top = Shard {
        tenant: "it's".into(),
        shard: u32::MAX,
        seq: i16::MIN,
        live: None,
        weight: 0.5,
    };
    top.insert(&mut client).unwrap();
    Shard {
        shard: 0,
        live: Some(true),
        ..top.clone()
    }
    .insert(&mut client)
    .unwrap();
    assert_eq!(
        Shard::get(&mut client, ("it's", u32::MAX, i16::MIN)).unwrap(),
        Some(top.clone())
    );
    assert_eq!(
        Shard::get(
            &mut client,
            ("it's".to_owned(), 4_294_967_295i64, -32_768i32)
        )
        .unwrap(),
        Some(top.clone())
    );
    // Parts beyond their columns find nothing.
    assert_eq!(
        Shard::get(&mut client, ("it's", u32::MAX, i64::MAX)).unwrap(),
        None
    );
    match top.insert(&mut client).unwrap_err() {
        Error::KeyExists { table, key } => assert_eq!(
            (table.as_str(), key.as_str()),
            ("wrkflw_shards", "('it''s', 4294967295, -32768)")
        ),
        other => panic!("expected KeyExists, got {other:?}"),
    }
    // The finder over an `Option` column: `None` finds the rows without a value.
    let none = Shard::pg_find_by_tenant_and_live(&mut client, "it's", None).unwrap();
    assert_eq!(none, std::slice::from_ref(&top));
    let live = Shard::pg_find_by_tenant_and_live(&mut client, "it's", true).unwrap();
    assert_eq!(live.iter().map(|s| s.shard).collect::<Vec<_>>(), [0]);
    assert!(Shard::delete(&mut client, ("it's", u32::MAX, i16::MIN)).unwrap());
    assert_eq!(Shard::count(&mut client).unwrap(), 1);
}

/// `from_pg_row` reads any `SELECT` with the table's columns, by name: `*`, another order,
/// extra columns, and columns an expression widened (`coalesce(smallint, 0)` is an
/// `integer`), as long as the value fits the field.
#[test]
fn from_pg_row_reads_select_star_any_order_and_widened_integers() {
    let Some((_db, mut client)) = table::<Integers>() else {
        return;
    };
    let row = Integers {
        id: 5,
        i8: -8,
        u8: 200,
        i16: -16,
        u16: 60_000,
        i32: -32,
        u32: 4_000_000_000,
        i64: -64,
        maybe_i8: None,
        maybe_u8: Some(8),
        maybe_i16: None,
        maybe_u16: Some(16),
        maybe_i32: None,
        maybe_u32: Some(32),
        maybe_i64: None,
        maybe_bool: Some(true),
    };
    row.insert(&mut client).unwrap();
    let read = |client: &mut Client, sql: &str| {
        let rows = client.query(sql, &[]).unwrap();
        Integers::from_pg_row(&rows[0])
    };
    assert_eq!(
        read(&mut client, "SELECT * FROM wrkflw_integers").unwrap(),
        row
    );
    assert_eq!(
        read(
            &mut client,
            "SELECT maybe_bool, maybe_i64, maybe_u32, maybe_i32, maybe_u16, maybe_i16, maybe_u8,
                    maybe_i8, i64, u32, i32, u16, i16, u8, i8, id, now() AS at
             FROM wrkflw_integers"
        )
        .unwrap(),
        row
    );
    // Every integer as another integer type: an expression's type, a sum's, a literal's.
    assert_eq!(
        read(
            &mut client,
            "SELECT id::integer AS id, i8::bigint AS i8, u8::integer AS u8, i16::bigint AS i16,
                    u16::bigint AS u16, i32::bigint AS i32, u32, i64, coalesce(maybe_i8, 0) AS maybe_i8,
                    maybe_u8::bigint AS maybe_u8, NULL::integer AS maybe_i16,
                    maybe_u16::bigint AS maybe_u16, NULL::bigint AS maybe_i32,
                    maybe_u32, NULL::smallint AS maybe_i64, maybe_bool
             FROM wrkflw_integers"
        )
        .unwrap(),
        Integers {
            maybe_i8: Some(0),
            ..row.clone()
        }
    );
    // A widened value that does not fit the field is a Decode naming the column.
    let error = read(
        &mut client,
        "SELECT id, 300 AS i8, u8, i16, u16, i32, u32, i64, maybe_i8, maybe_u8, maybe_i16,
                maybe_u16, maybe_i32, maybe_u32, maybe_i64, maybe_bool
         FROM wrkflw_integers",
    )
    .unwrap_err();
    assert!(
        matches!(&error, Error::Decode { table, column, reason, .. }
            if table == "wrkflw_integers" && column == "i8" && reason.contains("300")),
        "{error:?}"
    );
    // A missing column is named, as is a column of a type no integer can be read from.
    let error = read(&mut client, "SELECT id, i8 FROM wrkflw_integers").unwrap_err();
    assert!(
        matches!(&error, Error::Decode { column, .. } if column == "u8"),
        "{error:?}"
    );
    let error = read(
        &mut client,
        "SELECT id, 'text' AS i8, u8, i16, u16, i32, u32, i64, maybe_i8, maybe_u8, maybe_i16,
                maybe_u16, maybe_i32, maybe_u32, maybe_i64, maybe_bool
         FROM wrkflw_integers",
    )
    .unwrap_err();
    match &error {
        Error::Decode { column, reason, .. } => {
            assert_eq!(column, "i8");
            assert!(
                reason.contains("`text`") && reason.contains("`i8`"),
                "{reason}"
            );
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

/// Names PostgreSQL reserves, for the table and its columns, in every statement: `user`
/// unquoted is the session's user, `order` and `group` are syntax.
#[wrkflw_table(prefix = "", name = "user", index(group, order))]
#[derive(Debug, Clone, PartialEq)]
struct User {
    #[wrkflw(primary_key)]
    user: String,
    #[wrkflw(unique)]
    order: i64,
    group: Option<String>,
    select: bool,
    r#type: String,
    #[wrkflw(default = "'none'")]
    table: Option<String>,
}

#[test]
fn reserved_words_as_table_and_column_names_work_in_every_statement() {
    let Some((_db, mut client)) = table::<User>() else {
        return;
    };
    assert_eq!(<User as wrkflw::Table>::TABLE_NAME, "user");
    let alice = User {
        user: "alice".into(),
        order: 1,
        group: Some("admins".into()),
        select: true,
        r#type: "person".into(),
        table: None,
    };
    alice.insert(&mut client).unwrap();
    let stored = User::get(&mut client, "alice").unwrap().unwrap();
    assert_eq!(stored.table.as_deref(), Some("none"), "the default applied");
    assert_eq!(stored.user, "alice", "the column, not the session's user");
    let mut bob = User {
        user: "bob".into(),
        order: 2,
        group: None,
        ..alice.clone()
    };
    bob.upsert(&mut client).unwrap();
    bob.r#type = "robot".into();
    assert!(bob.update(&mut client).unwrap());
    assert_eq!(
        User::get(&mut client, "bob").unwrap().unwrap().r#type,
        "robot"
    );
    assert_eq!(
        User::pg_find_by_order(&mut client, 2)
            .unwrap()
            .map(|u| u.user),
        Some("bob".into())
    );
    assert_eq!(
        User::pg_find_by_group_and_order(&mut client, None, 2)
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        alice.insert(&mut client),
        Err(Error::KeyExists { table, key }) if table == "user" && key == "'alice'"
    ));
    let users: Vec<User> = client
        .query("SELECT * FROM \"user\" ORDER BY \"order\"", &[])
        .unwrap()
        .iter()
        .map(User::from_pg_row)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(users, User::all(&mut client).unwrap());
    assert_eq!(User::count(&mut client).unwrap(), 2);
    assert!(User::delete(&mut client, "alice").unwrap());
    assert_eq!(User::count(&mut client).unwrap(), 1);
}

/// PostgreSQL names a primary key constraint `{table}_pkey` with the table's name cut to fit
/// 63 bytes: a taken key is still `KeyExists` for the longest name the macro allows.
#[wrkflw_table(
    prefix = "",
    name = "a_table_name_of_exactly_sixty_three_bytes_for_the_key_constrain"
)]
#[derive(Debug, Clone, PartialEq)]
struct LongName {
    #[wrkflw(primary_key)]
    id: i64,
}

#[test]
fn a_taken_key_is_key_exists_for_a_table_name_of_the_longest_length() {
    let Some((_db, mut client)) = table::<LongName>() else {
        return;
    };
    assert_eq!(<LongName as wrkflw::Table>::TABLE_NAME.len(), 63);
    LongName { id: 1 }.insert(&mut client).unwrap();
    assert!(matches!(
        LongName { id: 1 }.insert(&mut client),
        Err(Error::KeyExists { key, .. }) if key == "1"
    ));
}

/// A taken key inside a caller's transaction is `KeyExists`; PostgreSQL then refuses every
/// statement of that transaction until it is rolled back (unlike SQLite, which undoes the
/// one statement). A savepoint keeps the rest.
#[test]
fn a_taken_key_in_a_transaction_is_key_exists_and_the_transaction_must_roll_back() {
    let Some((_db, mut client)) = table::<Note>() else {
        return;
    };
    note("a", "a").insert(&mut client).unwrap();

    let mut tx = client.transaction().unwrap();
    note("b", "b").insert(&mut tx).unwrap();
    let error = note("a", "again").insert(&mut tx).unwrap_err();
    assert!(
        matches!(&error, Error::KeyExists { table, key } if table == "wrkflw_notes" && key == "'a'"),
        "{error:?}"
    );
    let aborted = Note::count(&mut tx).unwrap_err();
    assert_eq!(
        sql_state(&aborted),
        Some(&SqlState::IN_FAILED_SQL_TRANSACTION),
        "{aborted:?}"
    );
    assert!(
        matches!(&aborted, Error::PgRows { table, action: "count", .. } if table == "wrkflw_notes"),
        "{aborted:?}"
    );
    // PostgreSQL ends an aborted transaction with a rollback even when asked to commit, and
    // the driver reports no error: "b" is gone with the rest.
    tx.commit().unwrap();
    assert_eq!(Note::count(&mut client).unwrap(), 1);

    // With a savepoint around the insert that may fail, the transaction goes on.
    let mut tx = client.transaction().unwrap();
    note("b", "b").insert(&mut tx).unwrap();
    {
        let mut savepoint = tx.savepoint("maybe").unwrap();
        assert!(matches!(
            note("a", "again").insert(&mut savepoint),
            Err(Error::KeyExists { .. })
        ));
        // Dropped: rolled back to the savepoint.
    }
    note("c", "c").insert(&mut tx).unwrap();
    tx.commit().unwrap();
    assert_eq!(Note::count(&mut client).unwrap(), 3);
}

/// References on the server: `on_delete` as declared when the typed `delete` removes the
/// referenced row, and a row pointing at nothing refused by PostgreSQL, named by table.
#[wrkflw_table(name = "owners")]
#[derive(Debug, Clone, PartialEq)]
struct Owner {
    #[wrkflw(primary_key)]
    id: u32,
}

#[wrkflw_table(name = "pets")]
#[derive(Debug, Clone, PartialEq)]
struct Pet {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(references = Owner, on_delete = "cascade")]
    owner: u32,
    #[wrkflw(references = Owner, on_delete = "set_null")]
    sitter: Option<u32>,
}

#[wrkflw_table(name = "licences")]
#[derive(Debug, Clone, PartialEq)]
struct Licence {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(references = Owner, on_delete = "restrict")]
    holder: u32,
}

#[test]
fn references_cascade_set_null_and_restrict_on_the_server() {
    let Some(db) = PgDb::new() else { return };
    let mut client = db.client();
    create::<Owner>(&mut client);
    create::<Pet>(&mut client);
    create::<Licence>(&mut client);
    for id in [1, 2, u32::MAX] {
        Owner { id }.insert(&mut client).unwrap();
    }
    Pet {
        id: 10,
        owner: 1,
        sitter: Some(2),
    }
    .insert(&mut client)
    .unwrap();
    Pet {
        id: 11,
        owner: 2,
        sitter: Some(u32::MAX),
    }
    .insert(&mut client)
    .unwrap();
    Licence {
        id: 1,
        holder: u32::MAX,
    }
    .insert(&mut client)
    .unwrap();

    // A reference to no row is PostgreSQL's foreign key error, named by table and action.
    let error = Pet {
        id: 12,
        owner: 3,
        sitter: None,
    }
    .insert(&mut client)
    .unwrap_err();
    assert_eq!(sql_state(&error), Some(&SqlState::FOREIGN_KEY_VIOLATION));
    assert!(
        matches!(&error, Error::PgRows { table, action: "insert", .. } if table == "wrkflw_pets"),
        "{error:?}"
    );

    // `set_null`: the sitter goes, the pet stays.
    assert!(Owner::delete(&mut client, 2u32).unwrap());
    assert_eq!(
        Pet::get(&mut client, 10).unwrap(),
        Some(Pet {
            id: 10,
            owner: 1,
            sitter: None
        })
    );
    // `cascade`: pet 11 belonged to owner 2.
    assert_eq!(Pet::get(&mut client, 11).unwrap(), None);
    // `restrict`: the holder of a licence stays, and says why.
    let error = Owner::delete(&mut client, u32::MAX).unwrap_err();
    assert_eq!(sql_state(&error), Some(&SqlState::FOREIGN_KEY_VIOLATION));
    assert!(
        matches!(&error, Error::PgRows { table, action: "delete", .. } if table == "wrkflw_owners"),
        "{error:?}"
    );
    assert_eq!(Owner::count(&mut client).unwrap(), 2);
}

/// Upsert and update leave a `None` in a defaulted `Option` column to the stored value,
/// whatever its type (JSON included), and insert gives it the default.
#[wrkflw_table(name = "settings")]
#[derive(Debug, Clone, PartialEq)]
struct Setting {
    #[wrkflw(primary_key)]
    name: String,
    #[wrkflw(default = "3")]
    retries: Option<u8>,
    #[wrkflw(default = "0.5")]
    ratio: Option<f32>,
    #[wrkflw(default = "'on'")]
    mode: Option<String>,
    #[wrkflw(json, default = "'[1]'")]
    list: Option<Value>,
    #[wrkflw(default = "true")]
    enabled: Option<bool>,
}

#[test]
fn upsert_and_update_keep_defaulted_option_columns_that_are_none() {
    let Some((_db, mut client)) = table::<Setting>() else {
        return;
    };
    let bare = Setting {
        name: "s".into(),
        retries: None,
        ratio: None,
        mode: None,
        list: None,
        enabled: None,
    };
    bare.insert(&mut client).unwrap();
    let defaults = Setting {
        retries: Some(3),
        ratio: Some(0.5),
        mode: Some("on".into()),
        list: Some(json!([1])),
        enabled: Some(true),
        ..bare.clone()
    };
    assert_eq!(
        Setting::get(&mut client, "s").unwrap(),
        Some(defaults.clone())
    );
    let set = Setting {
        retries: Some(u8::MAX),
        ratio: Some(f32::INFINITY),
        mode: Some(String::new()),
        list: Some(Value::Null),
        enabled: Some(false),
        ..bare.clone()
    };
    set.upsert(&mut client).unwrap();
    let read = |client: &mut Client| Setting::get(client, "s").unwrap().unwrap();
    assert_eq!(read(&mut client), set);
    bare.upsert(&mut client).unwrap();
    assert_eq!(
        read(&mut client),
        set,
        "upsert of None keeps each stored value"
    );
    assert!(bare.update(&mut client).unwrap());
    assert_eq!(
        read(&mut client),
        set,
        "update of None keeps each stored value"
    );
    // Upsert of a new row with None takes the defaults.
    Setting {
        name: "t".into(),
        ..bare.clone()
    }
    .upsert(&mut client)
    .unwrap();
    assert_eq!(
        Setting::get(&mut client, "t").unwrap(),
        Some(Setting {
            name: "t".into(),
            ..defaults
        })
    );
}

fn assert_send_sync<T: Send + Sync + 'static>() {}

/// The row methods take any `GenericClient`: a `Client`, a `Transaction`, a savepoint (a
/// `Transaction` too), from any thread; rows and errors cross threads.
fn write_and_read(client: &mut impl GenericClient, id: &str) -> wrkflw::Result<Option<Note>> {
    note(id, id).insert(client)?;
    note(id, "changed").upsert(client)?;
    Note::get(client, id)
}

#[test]
fn row_methods_run_on_a_client_a_transaction_and_another_thread() {
    assert_send_sync::<Error>();
    assert_send_sync::<Note>();
    assert_send_sync::<wrkflw::postgres::PgColumn>();
    let Some((db, mut client)) = table::<Note>() else {
        return;
    };
    assert!(write_and_read(&mut client, "client").unwrap().is_some());
    {
        let mut tx: Transaction<'_> = client.transaction().unwrap();
        assert!(write_and_read(&mut tx, "tx").unwrap().is_some());
        let mut inner = tx.savepoint("nested").unwrap();
        assert!(write_and_read(&mut inner, "inner").unwrap().is_some());
        inner.commit().unwrap();
        tx.commit().unwrap();
    }
    let config = db.config().clone();
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let config = config.clone();
            std::thread::spawn(move || {
                let mut client = config.connect(wrkflw::postgres::NoTls).unwrap();
                write_and_read(&mut client, &format!("thread-{i}"))
            })
        })
        .collect();
    for thread in threads {
        let row = thread.join().unwrap().unwrap().unwrap();
        assert_eq!(row.body, "changed");
    }
    // A client moved to another thread and back.
    let mut client = std::thread::spawn(move || {
        Note::count(&mut client).unwrap();
        client
    })
    .join()
    .unwrap();
    assert_eq!(Note::count(&mut client).unwrap(), 7);
}
