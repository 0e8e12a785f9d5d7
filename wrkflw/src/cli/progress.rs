//! Where a migration's progress is shown while it runs: the one seam for progress bars.
//!
//! Today the reporter shows nothing. Once `Migrator::on_progress` exists, a reporter that
//! draws a bar per table on stderr (when it is a terminal and the format is text) attaches
//! its callback in [`Reporter::attach`] and clears its bars in [`Reporter::finish`];
//! [`reporter`] chooses it. Nothing else of the command line changes.

use crate::Migrator;

use super::Format;

/// Shows the progress of one `migrate` run.
pub(crate) trait Reporter {
    /// The migrator to run, with whatever the reporter needs to hear of its progress.
    fn attach(&self, migrator: Migrator) -> Migrator;

    /// Called once the run is over, whether it succeeded or failed.
    fn finish(&self) {}
}

/// Shows nothing.
struct Silent;

impl Reporter for Silent {
    fn attach(&self, migrator: Migrator) -> Migrator {
        migrator
    }
}

/// The reporter for a run printing its results in `format`.
pub(crate) fn reporter(_format: Format) -> Box<dyn Reporter> {
    Box::new(Silent)
}
