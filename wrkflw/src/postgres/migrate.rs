//! Migrating on PostgreSQL. (Being built.)

use ::postgres::Client;

use super::PgTable;
use crate::{LegacyTable, MigrationReport, Plan, Result};

/// Creates the table and its indexes and copies the legacy table's rows over, in one
/// transaction.
pub fn migrate<T: PgTable>(client: &mut Client, legacy: LegacyTable) -> Result<MigrationReport> {
    let _ = (client, legacy);
    todo!("PostgreSQL migration")
}

/// The statements [`migrate`] would run, without writing anything.
pub fn plan<T: PgTable>(client: &mut Client, legacy: LegacyTable) -> Result<Plan> {
    let _ = (client, legacy);
    todo!("PostgreSQL plan")
}
