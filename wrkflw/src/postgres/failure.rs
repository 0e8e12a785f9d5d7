//! PostgreSQL's errors as wrkflw's: the causes a user can act on get their own variants,
//! anything else is [`Error::PgStep`] naming the table and the step.

use std::time::Duration;

use ::postgres::error::SqlState;

use crate::{Error, Step};

/// Turns an error of one step into wrkflw's. `timeout` is the migrator's lock timeout, which
/// a statement waiting for a lock ran into (`lock_not_available`).
pub(crate) fn classify(
    table: &str,
    step: Step,
    timeout: Duration,
    source: ::postgres::Error,
) -> Error {
    let table = table.to_owned();
    match source.code() {
        Some(code) if *code == SqlState::LOCK_NOT_AVAILABLE => Error::Busy {
            table,
            step,
            timeout,
        },
        Some(code) if *code == SqlState::READ_ONLY_SQL_TRANSACTION => {
            Error::ReadOnly { table, step }
        }
        Some(code) if *code == SqlState::DISK_FULL => Error::DiskFull { table, step },
        // Raised under `row_security = off` (see the migration's settings) where a policy
        // would have filtered rows.
        Some(code)
            if *code == SqlState::INSUFFICIENT_PRIVILEGE
                && source
                    .as_db_error()
                    .is_some_and(|e| e.message().contains("row-level security")) =>
        {
            Error::RowLevelSecurity {
                table,
                step,
                source,
            }
        }
        _ => Error::PgStep {
            table,
            step,
            source,
        },
    }
}

/// [`classify`] as a closure for `map_err`.
pub(crate) fn failed(
    table: &str,
    step: Step,
    timeout: Duration,
) -> impl Fn(::postgres::Error) -> Error + '_ {
    move |source| classify(table, step, timeout, source)
}

/// Whether the error is a value that does not convert to a type (SQLSTATE class 22: text that
/// is not a number or not JSON, a number out of range, ...).
pub(crate) fn is_data_exception(error: &::postgres::Error) -> bool {
    error
        .code()
        .is_some_and(|code| code.code().starts_with("22"))
}
