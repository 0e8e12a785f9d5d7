//! The capture's promises, checked against a model: long random runs of an old deployment
//! writing the legacy table (inserts with chosen and assigned ids, `INSERT OR REPLACE`,
//! `INSERT OR IGNORE`, `ON CONFLICT DO UPDATE`, updates, key changes by name, by rowid and
//! by `UPDATE OR REPLACE`, deletes), the new
//! application writing the new table, and migrations under each `OnConflict`, on a real
//! file. After every step both tables and the conflict log must be exactly what the model
//! says:
//!
//! - a key identifies a row on both sides, and the newer write to it wins, whichever side
//!   wrote it;
//! - except a key the legacy table did not hold that the table holds already: that is
//!   another row, logged as a conflict and never written over until settled;
//! - `migrate` settles conflicts: a freed key takes the legacy row, equal rows end the
//!   conflict, and the rest follow the policy (or fail the run, changing nothing).

#![allow(dead_code)] // The structs declare tables; these tests never read their fields.

use std::collections::BTreeMap;

use std::fmt::Debug;

use wrkflw::rusqlite::types::FromSql;
use wrkflw::rusqlite::{params, Connection, OptionalExtension};
use wrkflw::{wrkflw_table, Error, LegacyTable, Migrator, OnConflict, Table};
use wrkflw_tests::DbFile;

#[wrkflw_table(rename_from = "entries")]
struct Entry {
    #[wrkflw(primary_key)]
    id: i64,
    name: String,
    note: Option<String>,
}

type Row = (String, Option<String>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conflict {
    Pending,
    KeptTable,
}

/// Both tables and the conflict log as they must be, by key: `i64` for `Entry`, `(group, n)`
/// for the composite-keyed `Pair`.
#[derive(Debug, Default, Clone)]
struct Model<K = i64> {
    legacy: BTreeMap<K, Row>,
    table: BTreeMap<K, Row>,
    conflicts: BTreeMap<K, Conflict>,
}

impl<K: Ord + Clone> Model<K> {
    /// The legacy table gained key `k` it did not hold.
    fn fresh(&mut self, k: K, row: Row) {
        self.legacy.insert(k.clone(), row.clone());
        self.conflicts.remove(&k);
        match self.table.entry(k.clone()) {
            std::collections::btree_map::Entry::Occupied(_) => {
                self.conflicts.insert(k, Conflict::Pending);
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(row);
            }
        }
    }

    /// The legacy row under `k` was written again.
    fn rewritten(&mut self, k: K, row: Row) {
        self.legacy.insert(k.clone(), row.clone());
        if !self.conflicts.contains_key(&k) {
            self.table.insert(k, row);
        }
    }

    /// The legacy table was written under `k`: a rewrite if it held the key, else a new row.
    fn written(&mut self, k: K, row: Row) {
        if self.legacy.contains_key(&k) {
            self.rewritten(k, row);
        } else {
            self.fresh(k, row);
        }
    }

    fn deleted(&mut self, k: K) {
        self.legacy.remove(&k);
        if self.conflicts.remove(&k).is_none() {
            self.table.remove(&k);
        }
    }

    /// What `migrate` does with the log, or `Err` when it must fail and change nothing.
    fn migrate(&mut self, policy: OnConflict) -> Result<(), ()> {
        let pending_differs = self.conflicts.iter().any(|(k, c)| {
            *c == Conflict::Pending
                && self
                    .table
                    .get(k)
                    .is_some_and(|t| Some(t) != self.legacy.get(k))
        });
        if pending_differs && policy == OnConflict::Fail {
            return Err(());
        }
        let keys: Vec<K> = self.conflicts.keys().cloned().collect();
        for k in keys {
            let state = self.conflicts[&k];
            match (self.legacy.get(&k).cloned(), self.table.get(&k)) {
                (None, _) => {
                    self.conflicts.remove(&k);
                }
                (Some(row), None) => {
                    self.table.insert(k.clone(), row);
                    self.conflicts.remove(&k);
                }
                (Some(row), Some(t)) if *t == row => {
                    self.conflicts.remove(&k);
                }
                (Some(row), Some(_)) => match (state, policy) {
                    (Conflict::Pending, OnConflict::TakeLegacy) => {
                        self.table.insert(k.clone(), row);
                        self.conflicts.remove(&k);
                    }
                    (Conflict::Pending, _) => {
                        self.conflicts.insert(k, Conflict::KeptTable);
                    }
                    (Conflict::KeptTable, _) => {}
                },
            }
        }
        Ok(())
    }
}

fn read_rows(conn: &Connection, table: &str) -> BTreeMap<i64, Row> {
    let mut stmt = conn
        .prepare(&format!("SELECT id, name, note FROM {table}"))
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The log's pending and kept entries of `table`, by key as the log stores it.
fn read_conflicts<K: FromSql + Ord>(conn: &Connection, table: &str) -> BTreeMap<K, Conflict> {
    let exists: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'wrkflw_conflicts'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if !exists {
        return BTreeMap::new();
    }
    let mut stmt = conn
        .prepare(
            "SELECT legacy_key, settled FROM wrkflw_conflicts
             WHERE table_name = ?1 AND settled IS NOT 'took_legacy'",
        )
        .unwrap();
    stmt.query_map([table], |r| {
        let settled: Option<String> = r.get(1)?;
        Ok((
            r.get(0)?,
            if settled.is_some() {
                Conflict::KeptTable
            } else {
                Conflict::Pending
            },
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// One `migrate` under a policy drawn at random, checked against what the model says it
/// does. `seed`, `step` and the steps so far (`log`) are for the message.
fn migrate_as_the_model<T: Table, K: Ord + Clone + Debug>(
    conn: &mut Connection,
    model: &mut Model<K>,
    random: &mut Random,
    (seed, step, log): (u64, u64, &[String]),
) -> String {
    let policy = [
        OnConflict::Fail,
        OnConflict::KeepTable,
        OnConflict::TakeLegacy,
    ][random.below(3) as usize];
    let expected = model.migrate(policy);
    let result = Migrator::new()
        .table::<T>()
        .on_conflict(policy)
        .run(conn, LegacyTable::Keep);
    match (&result, expected) {
        (Ok(_), Ok(())) | (Err(Error::Conflicts { .. }), Err(())) => {}
        (other, expected) => panic!(
            "seed {seed}, step {step}: migrate({policy:?}) gave {other:?}, the model says {expected:?}\n{}",
            log.join("\n")
        ),
    }
    format!("migrate {policy:?}")
}

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn run(seed: u64, steps: u64) {
    let db = DbFile::new();
    let mut migrator_conn = db.open();
    migrator_conn
        .execute_batch(
            "CREATE TABLE entries (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT);
             INSERT INTO entries (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (5, 'e');",
        )
        .unwrap();
    let old = db.open();
    let app = db.open();
    let mut model = Model::default();
    for (k, name) in [(1, "a"), (2, "b"), (3, "c"), (5, "e")] {
        model.legacy.insert(k, (name.to_owned(), None));
    }
    model.table = model.legacy.clone();
    Migrator::new()
        .table::<Entry>()
        .run(&mut migrator_conn, LegacyTable::Keep)
        .unwrap();

    let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut log = Vec::new();
    for step in 0..steps {
        let k = 1 + random.below(12) as i64;
        let k2 = 1 + random.below(12) as i64;
        let row: Row = (
            format!("v{step}"),
            (random.below(3) == 0).then(|| format!("n{step}")),
        );
        let choice = random.below(100);
        let holds = model.legacy.contains_key(&k);
        let what = match choice {
            0..=9 => {
                let done = old.execute(
                    "INSERT INTO entries (id, name, note) VALUES (?1, ?2, ?3)",
                    params![k, row.0, row.1],
                );
                assert_eq!(done.is_ok(), !holds, "step {step}: insert {k}");
                if !holds {
                    model.fresh(k, row);
                }
                format!("old: insert {k}")
            }
            10..=17 => {
                old.execute(
                    "INSERT INTO entries (name, note) VALUES (?1, ?2)",
                    params![row.0, row.1],
                )
                .unwrap();
                let id = old.last_insert_rowid();
                let expected = model.legacy.keys().next_back().map_or(1, |max| max + 1);
                assert_eq!(id, expected, "step {step}: SQLite's next id");
                model.fresh(id, row);
                format!("old: insert, id {id} assigned")
            }
            18..=29 => {
                old.execute(
                    "INSERT OR REPLACE INTO entries (id, name, note) VALUES (?1, ?2, ?3)",
                    params![k, row.0, row.1],
                )
                .unwrap();
                model.written(k, row);
                format!("old: insert or replace {k}")
            }
            30..=35 => {
                old.execute(
                    "INSERT OR IGNORE INTO entries (id, name, note) VALUES (?1, ?2, ?3)",
                    params![k, row.0, row.1],
                )
                .unwrap();
                if !holds {
                    model.fresh(k, row);
                }
                format!("old: insert or ignore {k}")
            }
            36..=43 => {
                old.execute(
                    "INSERT INTO entries (id, name, note) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, note = excluded.note",
                    params![k, row.0, row.1],
                )
                .unwrap();
                model.written(k, row);
                format!("old: upsert {k}")
            }
            44..=53 => {
                old.execute(
                    "UPDATE entries SET name = ?2, note = ?3 WHERE id = ?1",
                    params![k, row.0, row.1],
                )
                .unwrap();
                if holds {
                    model.rewritten(k, row);
                }
                format!("old: update {k}")
            }
            54..=58 => {
                let done = old.execute("UPDATE entries SET id = ?2 WHERE id = ?1", [k, k2]);
                let clash = holds && k2 != k && model.legacy.contains_key(&k2);
                assert_eq!(done.is_ok(), !clash, "step {step}: move {k} to {k2}");
                if holds && !clash {
                    let moved = model.legacy[&k].clone();
                    if k == k2 {
                        // Still an update of the row: a write, and the newer one.
                        model.rewritten(k, moved);
                    } else {
                        model.deleted(k);
                        model.fresh(k2, moved);
                    }
                }
                format!("old: move {k} to {k2}")
            }
            59..=66 => {
                old.execute("DELETE FROM entries WHERE id = ?1", [k])
                    .unwrap();
                if holds {
                    model.deleted(k);
                }
                format!("old: delete {k}")
            }
            67..=74 => {
                let has = model.table.contains_key(&k);
                let done = app.execute(
                    "INSERT INTO wrkflw_entries (id, name, note) VALUES (?1, ?2, ?3)",
                    params![k, row.0, row.1],
                );
                assert_eq!(done.is_ok(), !has, "step {step}: app insert {k}");
                if !has {
                    model.table.insert(k, row);
                }
                format!("app: insert {k}")
            }
            75..=79 => {
                app.execute(
                    "INSERT INTO wrkflw_entries (name, note) VALUES (?1, ?2)",
                    params![row.0, row.1],
                )
                .unwrap();
                let id = app.last_insert_rowid();
                model.table.insert(id, row);
                format!("app: insert, id {id} assigned")
            }
            80..=86 => {
                app.execute(
                    "UPDATE wrkflw_entries SET name = ?2, note = ?3 WHERE id = ?1",
                    params![k, row.0, row.1],
                )
                .unwrap();
                if let Some(current) = model.table.get_mut(&k) {
                    *current = row;
                }
                format!("app: update {k}")
            }
            87..=92 => {
                app.execute("DELETE FROM wrkflw_entries WHERE id = ?1", [k])
                    .unwrap();
                model.table.remove(&k);
                format!("app: delete {k}")
            }
            93..=95 => {
                // Moved onto a key the legacy table may hold, replacing that row; through
                // the key's name or through the rowid it is.
                let sql = if choice == 95 {
                    "UPDATE OR REPLACE entries SET rowid = ?2 WHERE id = ?1"
                } else {
                    "UPDATE OR REPLACE entries SET id = ?2 WHERE id = ?1"
                };
                old.execute(sql, [k, k2]).unwrap();
                if holds && k != k2 {
                    let moved = model.legacy.remove(&k).unwrap();
                    if model.conflicts.remove(&k).is_none() {
                        model.table.remove(&k);
                    }
                    model.written(k2, moved);
                } else if holds {
                    let same = model.legacy[&k].clone();
                    model.rewritten(k, same);
                }
                format!("old: move {k} onto {k2}, replacing")
            }
            _ => migrate_as_the_model::<Entry, _>(
                &mut migrator_conn,
                &mut model,
                &mut random,
                (seed, step, &log),
            ),
        };
        log.push(format!("{step}: {what}"));
        let check = |what: &str, found: BTreeMap<i64, Row>, expected: &BTreeMap<i64, Row>| {
            assert_eq!(
                &found,
                expected,
                "seed {seed}, step {step}: the {what} differs from the model\n{}",
                log.join("\n")
            );
        };
        check(
            "legacy table",
            read_rows(&migrator_conn, "entries"),
            &model.legacy,
        );
        check(
            "new table",
            read_rows(&migrator_conn, "wrkflw_entries"),
            &model.table,
        );
        assert_eq!(
            read_conflicts(&migrator_conn, "wrkflw_entries"),
            model.conflicts,
            "seed {seed}, step {step}: the conflict log differs from the model\n{}",
            log.join("\n")
        );
    }
    // Every conflict settled by keeping the table's rows, the legacy table can go: whatever
    // it still held is in the table, but for those conflicts' legacy rows.
    let mut settle = model.clone();
    settle.migrate(OnConflict::KeepTable).unwrap();
    let report = Migrator::new()
        .table::<Entry>()
        .on_conflict(OnConflict::KeepTable)
        .run(&mut migrator_conn, LegacyTable::Drop)
        .unwrap()
        .remove(0);
    assert!(report.legacy_dropped);
    assert_eq!(read_rows(&migrator_conn, "wrkflw_entries"), settle.table);
    let stored: Option<i64> = migrator_conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    assert_eq!(stored, Some(0));
}

/// `WRKFLW_MODEL_SEEDS=400` runs 400 seeds instead of 12 (in `--release`, about 90 s).
#[test]
fn random_runs_of_both_sides_writing_match_the_model() {
    let seeds: u64 = std::env::var("WRKFLW_MODEL_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    for seed in 1..=seeds {
        run(seed, 300);
    }
}

/// The same promises for a table keyed by two columns: a move changes one of them, by name
/// or by `UPDATE OR REPLACE`, and the log names the whole key.
#[wrkflw_table(rename_from = "pairs")]
struct Pair {
    #[wrkflw(primary_key)]
    grp: String,
    #[wrkflw(primary_key)]
    n: i64,
    name: String,
    note: Option<String>,
}

type PairKey = (String, i64);

fn read_pairs(conn: &Connection, table: &str) -> BTreeMap<PairKey, Row> {
    let mut stmt = conn
        .prepare(&format!("SELECT grp, n, name, note FROM {table}"))
        .unwrap();
    stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn run_pairs(seed: u64, steps: u64) {
    let db = DbFile::new();
    let mut migrator_conn = db.open();
    migrator_conn
        .execute_batch(
            "CREATE TABLE pairs (grp TEXT NOT NULL, n INTEGER NOT NULL, name TEXT NOT NULL, note TEXT,
               PRIMARY KEY (grp, n));
             INSERT INTO pairs (grp, n, name) VALUES ('a', 1, 'a1'), ('a', 2, 'a2'), ('b', 1, 'b1'), ('c', 3, 'c3');",
        )
        .unwrap();
    let old = db.open();
    let app = db.open();
    let mut model: Model<PairKey> = Model::default();
    model.legacy = read_pairs(&migrator_conn, "pairs");
    model.table = model.legacy.clone();
    Migrator::new()
        .table::<Pair>()
        .run(&mut migrator_conn, LegacyTable::Keep)
        .unwrap();

    let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let key = |random: &mut Random| -> PairKey {
        (
            ["a", "b", "c"][random.below(3) as usize].to_owned(),
            1 + random.below(4) as i64,
        )
    };
    let mut log = Vec::new();
    for step in 0..steps {
        let k = key(&mut random);
        let other = key(&mut random);
        let row: Row = (
            format!("v{step}"),
            (random.below(3) == 0).then(|| format!("n{step}")),
        );
        let choice = random.below(100);
        let holds = model.legacy.contains_key(&k);
        let (g, n) = (k.0.clone(), k.1);
        let what = match choice {
            0..=11 => {
                let done = old.execute(
                    "INSERT INTO pairs (grp, n, name, note) VALUES (?1, ?2, ?3, ?4)",
                    params![g, n, row.0, row.1],
                );
                assert_eq!(done.is_ok(), !holds, "step {step}: insert {k:?}");
                if !holds {
                    model.fresh(k.clone(), row);
                }
                format!("old: insert {k:?}")
            }
            12..=23 => {
                old.execute(
                    "INSERT OR REPLACE INTO pairs (grp, n, name, note) VALUES (?1, ?2, ?3, ?4)",
                    params![g, n, row.0, row.1],
                )
                .unwrap();
                model.written(k.clone(), row);
                format!("old: insert or replace {k:?}")
            }
            24..=29 => {
                old.execute(
                    "INSERT OR IGNORE INTO pairs (grp, n, name, note) VALUES (?1, ?2, ?3, ?4)",
                    params![g, n, row.0, row.1],
                )
                .unwrap();
                if !holds {
                    model.fresh(k.clone(), row);
                }
                format!("old: insert or ignore {k:?}")
            }
            30..=39 => {
                old.execute(
                    "INSERT INTO pairs (grp, n, name, note) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (grp, n) DO UPDATE SET name = excluded.name, note = excluded.note",
                    params![g, n, row.0, row.1],
                )
                .unwrap();
                model.written(k.clone(), row);
                format!("old: upsert {k:?}")
            }
            40..=51 => {
                old.execute(
                    "UPDATE pairs SET name = ?3, note = ?4 WHERE grp = ?1 AND n = ?2",
                    params![g, n, row.0, row.1],
                )
                .unwrap();
                if holds {
                    model.rewritten(k.clone(), row);
                }
                format!("old: update {k:?}")
            }
            52..=63 => {
                // One key column changes: the number, or the group.
                let to = if choice < 58 {
                    (g.clone(), other.1)
                } else {
                    (other.0.clone(), n)
                };
                let done = old.execute(
                    "UPDATE pairs SET grp = ?3, n = ?4 WHERE grp = ?1 AND n = ?2",
                    params![g, n, to.0, to.1],
                );
                let clash = holds && to != k && model.legacy.contains_key(&to);
                assert_eq!(done.is_ok(), !clash, "step {step}: move {k:?} to {to:?}");
                if holds && !clash {
                    let moved = model.legacy[&k].clone();
                    if to == k {
                        model.rewritten(k.clone(), moved);
                    } else {
                        model.deleted(k.clone());
                        model.fresh(to.clone(), moved);
                    }
                }
                format!("old: move {k:?} to {to:?}")
            }
            64..=67 => {
                let to = (g.clone(), other.1);
                old.execute(
                    "UPDATE OR REPLACE pairs SET n = ?3 WHERE grp = ?1 AND n = ?2",
                    params![g, n, to.1],
                )
                .unwrap();
                if holds && to != k {
                    let moved = model.legacy.remove(&k).unwrap();
                    if model.conflicts.remove(&k).is_none() {
                        model.table.remove(&k);
                    }
                    model.written(to.clone(), moved);
                } else if holds {
                    let same = model.legacy[&k].clone();
                    model.rewritten(k.clone(), same);
                }
                format!("old: move {k:?} onto {to:?}, replacing")
            }
            68..=75 => {
                old.execute("DELETE FROM pairs WHERE grp = ?1 AND n = ?2", params![g, n])
                    .unwrap();
                if holds {
                    model.deleted(k.clone());
                }
                format!("old: delete {k:?}")
            }
            76..=83 => {
                let has = model.table.contains_key(&k);
                let done = app.execute(
                    "INSERT INTO wrkflw_pairs (grp, n, name, note) VALUES (?1, ?2, ?3, ?4)",
                    params![g, n, row.0, row.1],
                );
                assert_eq!(done.is_ok(), !has, "step {step}: app insert {k:?}");
                if !has {
                    model.table.insert(k.clone(), row);
                }
                format!("app: insert {k:?}")
            }
            84..=89 => {
                app.execute(
                    "UPDATE wrkflw_pairs SET name = ?3, note = ?4 WHERE grp = ?1 AND n = ?2",
                    params![g, n, row.0, row.1],
                )
                .unwrap();
                if let Some(current) = model.table.get_mut(&k) {
                    *current = row;
                }
                format!("app: update {k:?}")
            }
            90..=94 => {
                app.execute(
                    "DELETE FROM wrkflw_pairs WHERE grp = ?1 AND n = ?2",
                    params![g, n],
                )
                .unwrap();
                model.table.remove(&k);
                format!("app: delete {k:?}")
            }
            _ => migrate_as_the_model::<Pair, _>(
                &mut migrator_conn,
                &mut model,
                &mut random,
                (seed, step, &log),
            ),
        };
        log.push(format!("{step}: {what}"));
        for (what, found, expected) in [
            (
                "legacy table",
                read_pairs(&migrator_conn, "pairs"),
                &model.legacy,
            ),
            (
                "new table",
                read_pairs(&migrator_conn, "wrkflw_pairs"),
                &model.table,
            ),
        ] {
            assert_eq!(
                &found,
                expected,
                "seed {seed}, step {step}: the {what} differs from the model\n{}",
                log.join("\n")
            );
        }
        let expected: BTreeMap<String, Conflict> = model
            .conflicts
            .iter()
            .map(|((g, n), c)| (format!("('{g}', {n})"), *c))
            .collect();
        assert_eq!(
            read_conflicts::<String>(&migrator_conn, "wrkflw_pairs"),
            expected,
            "seed {seed}, step {step}: the conflict log differs from the model\n{}",
            log.join("\n")
        );
    }
    let mut settle = model.clone();
    settle.migrate(OnConflict::KeepTable).unwrap();
    let report = Migrator::new()
        .table::<Pair>()
        .on_conflict(OnConflict::KeepTable)
        .run(&mut migrator_conn, LegacyTable::Drop)
        .unwrap()
        .remove(0);
    assert!(report.legacy_dropped);
    assert_eq!(read_pairs(&migrator_conn, "wrkflw_pairs"), settle.table);
}

/// Half as many seeds as the one-column model (`WRKFLW_MODEL_SEEDS` sets both).
#[test]
fn random_runs_on_a_composite_key_match_the_model() {
    let seeds: u64 = std::env::var("WRKFLW_MODEL_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    for seed in 1..=seeds.div_ceil(2) {
        run_pairs(seed, 300);
    }
}
