//! # wrkflw
//!
//! Prefixed SQLite tables and lossless migrations from their legacy, unprefixed tables,
//! generated at compile time from an annotated struct.
//!
//! ```
//! use wrkflw::{wrkflw_table, LegacyTable, Table};
//!
//! #[wrkflw_table(rename_from = "workflow_runs")]
//! #[derive(Debug, Clone, PartialEq)]
//! pub struct WorkflowRun {
//!     #[wrkflw(primary_key)]
//!     pub run_id: String,
//!     #[wrkflw(index)]
//!     pub status: String,
//!     #[wrkflw(default = "unixepoch()")]
//!     pub created_at: Option<i64>,
//! }
//!
//! assert_eq!(WorkflowRun::TABLE_NAME, "wrkflw_workflow_runs");
//! println!("{}", WorkflowRun::migration_sql(LegacyTable::Keep));
//!
//! let mut conn = wrkflw::rusqlite::Connection::open_in_memory()?;
//! let report = WorkflowRun::migrate(&mut conn, LegacyTable::Keep)?;
//! println!("{report}");
//! # Ok::<(), wrkflw::Error>(())
//! ```
//!
//! See [`wrkflw_table`] for the attribute, [`Table`] for what it generates and [`migrate`]
//! for what running it guarantees.

#![warn(missing_docs)]

// The storage declares its table with `#[wrkflw_table]`, whose code names `::wrkflw`.
extern crate self as wrkflw;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
mod capture;
#[cfg(feature = "cli")]
pub mod cli;
mod conflicts;
mod constraints;
mod drift;
mod error;
mod ledger;
mod link;
mod migrate;
mod order;
mod plan;
mod planner;
#[cfg(feature = "postgres")]
pub mod postgres;
mod progress;
mod rebuild;
mod report;
mod rows;
mod schema;
mod spec;
mod sql_text;
mod status;
pub mod storage;
mod table;
mod verify;

#[doc(inline)]
pub use wrkflw_macros::wrkflw_table;

/// The rusqlite this crate is built against, so users need no `rusqlite` dependency of their
/// own (and cannot end up with two versions of it).
pub use rusqlite;

pub use conflicts::OnConflict;
pub use error::{Error, ForeignKeyViolation, KeyProblem, NullCount, Result, Step};
pub use ledger::{CONFLICTS_TABLE, LEDGER_TABLE};
pub use migrate::{migrate, row_counts, Migrator, DEFAULT_BUSY_TIMEOUT};
pub use plan::{Action, ColumnChange, CopyPath, Plan, PlannedStep, Rebuild, RebuildStep};
pub use planner::plan;
pub use progress::{Progress, ProgressEvent, ProgressStep};
pub use report::{CaptureStatus, MigrationReport, RowCounts};
pub use status::{LastRun, TableStatus};
pub use table::{
    key, Column, ForeignKey, Index, Key, KeyPart, LegacyTable, OnDelete, SqlType, Table,
};
