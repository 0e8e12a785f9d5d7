//! A table's PostgreSQL constants, taken out of the generic `T: PgTable` so that the migration
//! code is compiled once, not once per table (as [`crate::spec::TableSpec`] does for SQLite).

use super::{PgColumn, PgTable, PgType};
use crate::{Column, Index, LegacyTable};

#[derive(Debug, Clone)]
pub(crate) struct PgSpec {
    pub(crate) table: &'static str,
    pub(crate) legacy: Option<&'static str>,
    /// `PgTable::PG_CREATE_SQL`.
    pub(crate) create_sql: &'static str,
    /// `PgTable::PG_INDEX_SQL`, parallel to `indexes`.
    pub(crate) index_sql: &'static [&'static str],
    pub(crate) indexes: &'static [Index],
    pub(crate) columns: &'static [Column],
    /// Parallel to `columns`: each column's PostgreSQL type and default.
    pub(crate) pg_columns: &'static [PgColumn],
    /// Columns the struct consents to discard (`Table::DROP_COLUMNS`).
    pub(crate) drop_columns: &'static [&'static str],
    /// `PgTable::pg_migration_sql`, for `PgMigrator::migration_sql`.
    pub(crate) migration_sql: fn(LegacyTable) -> &'static str,
}

/// A column as the struct declares it on both engines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) column: &'static Column,
    pub(crate) pg_type: PgType,
    pub(crate) default: Option<&'static str>,
}

impl Field {
    pub(crate) fn name(&self) -> &'static str {
        self.column.name
    }

    /// `NOT NULL` in the table: every field but an `Option`, and the key always.
    pub(crate) fn required(&self) -> bool {
        !self.column.nullable || self.column.primary_key
    }
}

impl PgSpec {
    pub(crate) fn of<T: PgTable>() -> PgSpec {
        PgSpec {
            table: T::TABLE_NAME,
            legacy: T::LEGACY_TABLE_NAME,
            create_sql: T::PG_CREATE_SQL,
            index_sql: T::PG_INDEX_SQL,
            indexes: T::INDEXES,
            columns: T::COLUMNS,
            pg_columns: T::PG_COLUMNS,
            drop_columns: T::DROP_COLUMNS,
            migration_sql: T::pg_migration_sql,
        }
    }

    /// Each field with its PostgreSQL side, in field order. A column missing from
    /// `PG_COLUMNS` (a hand-written impl) falls back to its SQLite type's nearest kin.
    pub(crate) fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.columns.iter().map(|column| {
            match self.pg_columns.iter().find(|pg| pg.name == column.name) {
                Some(pg) => Field {
                    column,
                    pg_type: pg.pg_type,
                    default: pg.default,
                },
                None => Field {
                    column,
                    pg_type: fallback_type(column),
                    default: None,
                },
            }
        })
    }

    /// The field named `name`.
    pub(crate) fn field(&self, name: &str) -> Option<Field> {
        self.fields().find(|f| f.name() == name)
    }

    /// The key's fields, in field order.
    pub(crate) fn key_fields(&self) -> Vec<Field> {
        self.fields().filter(|f| f.column.primary_key).collect()
    }

    /// Whether the struct consents to discard the table's column `name`.
    pub(crate) fn consents_to_drop(&self, name: &str) -> bool {
        self.drop_columns.contains(&name)
    }

    /// A checksum of the table as the struct declares it on PostgreSQL: it changes when the
    /// struct does.
    pub(crate) fn schema_checksum(&self) -> String {
        crate::sql_text::checksum(
            std::iter::once(self.create_sql).chain(self.index_sql.iter().copied()),
        )
    }
}

fn fallback_type(column: &Column) -> PgType {
    match (column.json, column.sql_type) {
        (true, _) => PgType::Jsonb,
        (false, crate::SqlType::Text) => PgType::Text,
        (false, crate::SqlType::Integer) => PgType::BigInt,
        (false, crate::SqlType::Real) => PgType::DoublePrecision,
        (false, crate::SqlType::Blob) => PgType::Bytea,
    }
}
