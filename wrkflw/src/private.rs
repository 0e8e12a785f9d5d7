//! What the code `#[wrkflw_table]` generates refers to, by absolute path. Not public API.

#[doc(hidden)]
pub use crate::rows::{find, json, json_opt, to_json, to_json_opt};
#[doc(hidden)]
pub use rusqlite;
