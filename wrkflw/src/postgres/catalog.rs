//! Reading the schema from PostgreSQL's catalog: whether a name is a table, a table's columns
//! (`pg_attribute`, `format_type`, `pg_get_expr` for defaults), its indexes (`pg_index`), its
//! foreign keys and the ones that reference it (`pg_constraint`), the views that use it
//! (`pg_depend`), and the capture's function and triggers (`pg_proc`, `pg_trigger`). Only the
//! catalog is read here, never a table's rows; everything is looked up in one schema, the
//! one the migration works in (`current_schema()`), except where a legacy table missing
//! there is looked for in the rest of the `search_path`.
//!
//! Each query is sent with its parameter types (`query_typed`): one round trip, no prepare.

use ::postgres::types::Type;
use ::postgres::{Row, Transaction};

/// A relation's name and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    pub(crate) oid: u32,
    /// `pg_class.relkind`: `r` table, `p` partitioned table, `v` view, `m` materialized
    /// view, `i` index, ...
    pub(crate) kind: char,
}

impl Relation {
    pub(crate) fn is_table(&self) -> bool {
        matches!(self.kind, 'r' | 'p')
    }

    /// What the relation is, in words, for [`Error::NotATable`](crate::Error::NotATable).
    pub(crate) fn kind_name(&self) -> &'static str {
        match self.kind {
            'r' | 'p' => "table",
            'v' => "view",
            'm' => "materialized view",
            'i' | 'I' => "index",
            'S' => "sequence",
            'f' => "foreign table",
            'c' => "composite type",
            _ => "relation",
        }
    }
}

/// A column of a table as the catalog has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableColumn {
    pub(crate) name: String,
    /// `format_type`: `text`, `character varying(40)`, `bigint`, `jsonb`, ...
    pub(crate) type_name: String,
    pub(crate) not_null: bool,
    /// `pg_get_expr` of its default.
    pub(crate) default: Option<String>,
    /// A generated column (`GENERATED ALWAYS AS (...) STORED`).
    pub(crate) generated: bool,
    /// An identity column (`GENERATED ... AS IDENTITY`).
    pub(crate) identity: bool,
    /// Compares byte for byte: its collation, if any, is deterministic.
    pub(crate) deterministic: bool,
}

/// An index of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableIndex {
    pub(crate) name: String,
    /// The indexed columns, in order; empty for an expression index.
    pub(crate) columns: Vec<String>,
    pub(crate) unique: bool,
    pub(crate) primary: bool,
    /// Partial (`WHERE ...`) or on expressions: it does not make its columns unique.
    pub(crate) partial_or_expression: bool,
}

/// A foreign key of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableForeignKey {
    pub(crate) name: String,
    pub(crate) columns: Vec<String>,
    pub(crate) parent: String,
    pub(crate) parent_columns: Vec<String>,
    /// `pg_constraint.confdeltype`: `a` no action, `r` restrict, `c` cascade, `n` set null,
    /// `d` set default.
    pub(crate) on_delete: char,
}

/// A table with what the migration reads of it.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) oid: u32,
    /// A partitioned table (`relkind = 'p'`), or one with child tables (`INHERITS`): some of
    /// the rows it reads live in other tables, whose writes fire no trigger of its own.
    pub(crate) partitioned: bool,
    pub(crate) columns: Vec<TableColumn>,
    pub(crate) indexes: Vec<TableIndex>,
}

impl Table {
    pub(crate) fn column(&self, name: &str) -> Option<&TableColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether a unique index that is neither partial nor on expressions (the primary key
    /// among them) covers exactly `columns`, in any order: then no two rows share them.
    pub(crate) fn is_unique(&self, columns: &[&str]) -> bool {
        self.indexes.iter().any(|index| {
            index.unique
                && !index.partial_or_expression
                && index.columns.len() == columns.len()
                && columns.iter().all(|c| index.columns.iter().any(|i| i == c))
        })
    }
}

/// The relations of `schema` named among `names`, as (name, relation).
pub(crate) fn relations(
    tx: &mut Transaction<'_>,
    schema: &str,
    names: &[&str],
) -> Result<Vec<(String, Relation)>, ::postgres::Error> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let rows = tx.query_typed(
        "SELECT c.relname::text, c.oid, c.relkind::text FROM pg_catalog.pg_class AS c
         WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)
           AND c.relname = ANY ($2)",
        &[(&schema, Type::TEXT), (&names, Type::TEXT_ARRAY)],
    )?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get(2)?;
            Ok((
                row.try_get(0)?,
                Relation {
                    oid: row.try_get(1)?,
                    kind: kind.chars().next().unwrap_or('?'),
                },
            ))
        })
        .collect()
}

/// The table's columns, in order; their defaults only `with_defaults` (`pg_get_expr` takes
/// a lock on the table, which a legacy table's columns do not need).
pub(crate) fn columns(
    tx: &mut Transaction<'_>,
    table: u32,
    with_defaults: bool,
) -> Result<Vec<TableColumn>, ::postgres::Error> {
    let rows = tx.query_typed(
        "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                CASE WHEN a.attgenerated = '' AND $2 THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                a.attgenerated <> '', a.attidentity <> '', coalesce(co.collisdeterministic, true)
         FROM pg_catalog.pg_attribute AS a
         LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         LEFT JOIN pg_catalog.pg_collation AS co ON co.oid = a.attcollation
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum",
        &[(&table, Type::OID), (&with_defaults, Type::BOOL)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(TableColumn {
                name: row.try_get(0)?,
                type_name: row.try_get(1)?,
                not_null: row.try_get(2)?,
                default: row.try_get(3)?,
                generated: row.try_get(4)?,
                identity: row.try_get(5)?,
                deterministic: row.try_get(6)?,
            })
        })
        .collect()
}

/// The table's indexes, by name.
pub(crate) fn indexes(
    tx: &mut Transaction<'_>,
    table: u32,
) -> Result<Vec<TableIndex>, ::postgres::Error> {
    let rows = tx.query_typed(
        "SELECT ic.relname::text, i.indisunique, i.indisprimary,
                ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, n)
                      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                      ORDER BY k.n),
                i.indexprs IS NOT NULL OR i.indpred IS NOT NULL
         FROM pg_catalog.pg_index AS i JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = $1 ORDER BY ic.relname",
        &[(&table, Type::OID)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(TableIndex {
                name: row.try_get(0)?,
                unique: row.try_get(1)?,
                primary: row.try_get(2)?,
                columns: row.try_get(3)?,
                partial_or_expression: row.try_get(4)?,
            })
        })
        .collect()
}

/// Whether other tables inherit from the table (`CREATE TABLE child () INHERITS (it)`).
fn has_children(tx: &mut Transaction<'_>, table: u32) -> Result<bool, ::postgres::Error> {
    tx.query_typed(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_inherits WHERE inhparent = $1)",
        &[(&table, Type::OID)],
    )?
    .first()
    .map_or(Ok(false), |row| row.try_get(0))
}

/// The table, its columns (with their defaults, `with_defaults`) and indexes.
pub(crate) fn table(
    tx: &mut Transaction<'_>,
    name: &str,
    relation: &Relation,
    with_defaults: bool,
) -> Result<Table, ::postgres::Error> {
    Ok(Table {
        name: name.to_owned(),
        oid: relation.oid,
        partitioned: relation.kind == 'p' || has_children(tx, relation.oid)?,
        columns: columns(tx, relation.oid, with_defaults)?,
        indexes: indexes(tx, relation.oid)?,
    })
}

/// The first schema of the caller's `search_path`, other than `schema`, holding a table named
/// `name`: where the name resolves when `schema` has none. `current_schemas(false)` lists the
/// schemas of the `search_path` that exist, in order, without the implicit ones; a temporary
/// schema is left out even when listed, as a session's own tables are no legacy table.
pub(crate) fn table_elsewhere(
    tx: &mut Transaction<'_>,
    schema: &str,
    name: &str,
) -> Result<Option<String>, ::postgres::Error> {
    let row = tx.query_typed_opt(
        "SELECT s.name::text FROM unnest(pg_catalog.current_schemas(false)) WITH ORDINALITY AS s (name, n)
         JOIN pg_catalog.pg_namespace AS ns ON ns.nspname = s.name
         JOIN pg_catalog.pg_class AS c ON c.relnamespace = ns.oid
         WHERE s.name <> $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
           AND ns.oid <> pg_catalog.pg_my_temp_schema()
         ORDER BY s.n LIMIT 1",
        &[(&schema, Type::TEXT), (&name, Type::TEXT)],
    )?;
    row.map(|row| row.try_get(0)).transpose()
}

fn name_list(row: &Row, at: usize) -> Result<Vec<String>, ::postgres::Error> {
    row.try_get(at)
}

/// The foreign keys of the table, by name.
pub(crate) fn foreign_keys(
    tx: &mut Transaction<'_>,
    table: u32,
) -> Result<Vec<TableForeignKey>, ::postgres::Error> {
    let rows = tx.query_typed(
        "SELECT con.conname::text,
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k (attnum, n)
                      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.n),
                p.relname::text,
                ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k (attnum, n)
                      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                      ORDER BY k.n),
                con.confdeltype::text
         FROM pg_catalog.pg_constraint AS con JOIN pg_catalog.pg_class AS p ON p.oid = con.confrelid
         WHERE con.conrelid = $1 AND con.contype = 'f' ORDER BY con.conname",
        &[(&table, Type::OID)],
    )?;
    rows.iter()
        .map(|row| {
            let on_delete: String = row.try_get(4)?;
            Ok(TableForeignKey {
                name: row.try_get(0)?,
                columns: name_list(row, 1)?,
                parent: row.try_get(2)?,
                parent_columns: name_list(row, 3)?,
                on_delete: on_delete.chars().next().unwrap_or('a'),
            })
        })
        .collect()
}

/// The other tables whose foreign keys reference the table, by name.
pub(crate) fn referencing_tables(
    tx: &mut Transaction<'_>,
    table: u32,
) -> Result<Vec<String>, ::postgres::Error> {
    let rows = tx.query_typed(
        "SELECT DISTINCT c.relname::text FROM pg_catalog.pg_constraint AS con
         JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid
         WHERE con.confrelid = $1 AND con.contype = 'f' AND con.conrelid <> con.confrelid
         ORDER BY 1",
        &[(&table, Type::OID)],
    )?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// The views (and materialized views) whose definition uses the table, by name.
pub(crate) fn views_using(
    tx: &mut Transaction<'_>,
    table: u32,
) -> Result<Vec<String>, ::postgres::Error> {
    let rows = tx.query_typed(
        "SELECT DISTINCT v.relname::text FROM pg_catalog.pg_depend AS d
         JOIN pg_catalog.pg_rewrite AS r ON r.oid = d.objid
         JOIN pg_catalog.pg_class AS v ON v.oid = r.ev_class
         WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refobjid = $1 AND v.oid <> $1
         ORDER BY 1",
        &[(&table, Type::OID)],
    )?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// The table an index (or other relation) named `name` in `schema` belongs to: `Some(table)`
/// for an index, `Some(name)` itself for a relation that is not an index, `None` when the
/// name is free.
pub(crate) fn index_owner(
    tx: &mut Transaction<'_>,
    schema: &str,
    name: &str,
) -> Result<Option<String>, ::postgres::Error> {
    let row = tx.query_typed_opt(
        "SELECT coalesce(t.relname, c.relname)::text FROM pg_catalog.pg_class AS c
         LEFT JOIN pg_catalog.pg_index AS i ON i.indexrelid = c.oid
         LEFT JOIN pg_catalog.pg_class AS t ON t.oid = i.indrelid
         WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)
           AND c.relname = $2",
        &[(&schema, Type::TEXT), (&name, Type::TEXT)],
    )?;
    row.map(|row| row.try_get(0)).transpose()
}

/// A function of `schema` without arguments, as the catalog has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Function {
    pub(crate) oid: u32,
    /// Its body, as written (`prosrc`).
    pub(crate) source: String,
}

pub(crate) fn function(
    tx: &mut Transaction<'_>,
    schema: &str,
    name: &str,
) -> Result<Option<Function>, ::postgres::Error> {
    let row = tx.query_typed_opt(
        "SELECT p.oid, p.prosrc FROM pg_catalog.pg_proc AS p
         WHERE p.pronamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)
           AND p.proname = $2 AND p.pronargs = 0",
        &[(&schema, Type::TEXT), (&name, Type::TEXT)],
    )?;
    row.map(|row| {
        Ok(Function {
            oid: row.try_get(0)?,
            source: row.try_get(1)?,
        })
    })
    .transpose()
}

/// A trigger as the catalog has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trigger {
    pub(crate) name: String,
    /// `pg_trigger.tgtype`: the events and timing, as bits.
    pub(crate) events: i16,
    /// `pg_trigger.tgenabled`: `O` enabled, `D` disabled, `R`/`A` replica or always.
    pub(crate) enabled: char,
    /// The function it executes.
    pub(crate) function: u32,
    /// The columns of `UPDATE OF`, in order.
    pub(crate) columns: Vec<String>,
}

/// The triggers of `table` among `names`.
pub(crate) fn triggers(
    tx: &mut Transaction<'_>,
    table: u32,
    names: &[String],
) -> Result<Vec<Trigger>, ::postgres::Error> {
    let rows = tx.query_typed(
        "SELECT t.tgname::text, t.tgtype, t.tgenabled::text, t.tgfoid,
                ARRAY(SELECT a.attname::text FROM unnest(t.tgattr::int2[]) WITH ORDINALITY AS k (attnum, n)
                      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum
                      ORDER BY k.n)
         FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = $1 AND t.tgname = ANY ($2)
         ORDER BY t.tgname",
        &[(&table, Type::OID), (&names, Type::TEXT_ARRAY)],
    )?;
    rows.iter()
        .map(|row| {
            let enabled: String = row.try_get(2)?;
            Ok(Trigger {
                name: row.try_get(0)?,
                events: row.try_get(1)?,
                enabled: enabled.chars().next().unwrap_or('?'),
                function: row.try_get(3)?,
                columns: name_list(row, 4)?,
            })
        })
        .collect()
}
