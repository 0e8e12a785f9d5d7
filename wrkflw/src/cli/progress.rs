//! Progress on stderr while `migrate` runs, and Ctrl-C as cancellation.
//!
//! On a terminal (and with `--format text`), indicatif draws a bar for each copy: rows, rate
//! and time left. Otherwise each step is a plain line on stderr, and a copy adds a line of
//! rows at most once a second, so that logs stay readable and stdout keeps only the results.
//! Ctrl-C asks the migration to stop: the callback returns `Break`, SQLite interrupts the
//! statement that runs, the transaction rolls back, and the command exits with 130.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::{Migrator, Progress, ProgressEvent, ProgressStep};

use super::Format;

/// Shows the progress of one `migrate` run.
pub(crate) trait Reporter {
    /// The migrator to run, with whatever the reporter needs to hear of its progress.
    fn attach(&self, migrator: Migrator) -> Migrator;

    /// Called once the run is over, whether it succeeded or failed.
    fn finish(&self) {}
}

/// The reporter for a run printing its results in `format`: a bar on a terminal in text,
/// plain lines otherwise (JSON keeps stderr for logs too).
pub(crate) fn reporter(format: Format) -> Box<dyn Reporter> {
    let terminal = format == Format::Text && std::io::stderr().is_terminal();
    install_interrupt_handler();
    Box::new(Steps {
        terminal,
        bar: Arc::new(Mutex::new(None)),
    })
}

/// Where a `migrate` stands, for Ctrl-C: no migration runs ([`IDLE`]); one waits for the
/// write lock or plans, and has written nothing ([`READING`]); one writes ([`WRITING`], from
/// its first step on).
static STATE: AtomicU8 = AtomicU8::new(IDLE);
const IDLE: u8 = 0;
const READING: u8 = 1;
const WRITING: u8 = 2;

/// Set by Ctrl-C while a migration writes, read by the progress callback.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler, once per process. While a migration writes, Ctrl-C asks it
/// to stop (the callback returns `Break`, the transaction rolls back); otherwise nothing has
/// been written, and the process ends at once with 130, as a shell reports an interrupt,
/// even while it waits for another connection's write lock. Where the handler cannot be
/// installed (the host set its own), Ctrl-C keeps that behaviour.
fn install_interrupt_handler() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if STATE.load(Ordering::SeqCst) == WRITING {
                INTERRUPTED.store(true, Ordering::SeqCst);
            } else {
                std::process::exit(130);
            }
        });
    });
}

/// One line per step, a bar or a line of rows during a copy.
struct Steps {
    terminal: bool,
    bar: Arc<Mutex<Option<ProgressBar>>>,
}

impl Reporter for Steps {
    fn attach(&self, migrator: Migrator) -> Migrator {
        let terminal = self.terminal;
        let bar = Arc::clone(&self.bar);
        let mut last_line = Instant::now();
        // A Ctrl-C of an earlier run in this process is over.
        INTERRUPTED.store(false, Ordering::SeqCst);
        STATE.store(READING, Ordering::SeqCst);
        migrator.on_progress(move |progress: &Progress| {
            // The first step is about to write: from now on Ctrl-C rolls back.
            STATE.store(WRITING, Ordering::SeqCst);
            let mut bar = bar.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            show(progress, terminal, &mut bar, &mut last_line);
            if INTERRUPTED.load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
    }

    fn finish(&self) {
        STATE.store(IDLE, Ordering::SeqCst);
        let bar = self
            .bar
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(bar) = bar.as_ref() {
            bar.finish_and_clear();
        }
    }
}

fn show(progress: &Progress, terminal: bool, bar: &mut Option<ProgressBar>, last: &mut Instant) {
    let table = &progress.table;
    let step = step_name(progress.step);
    match progress.event {
        ProgressEvent::Started { rows: Some(rows) } if terminal => {
            let drawn = ProgressBar::with_draw_target(Some(rows), ProgressDrawTarget::stderr());
            drawn.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {human_pos}/{human_len} rows, {rate}, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key(
                    "rate",
                    |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                        let _ = write!(out, "{:.0} rows/s", state.per_sec());
                    },
                )
                .progress_chars("=> "),
            );
            drawn.set_prefix(format!("{table}: {step}"));
            *bar = Some(drawn);
        }
        ProgressEvent::Started { rows: Some(rows) } => {
            *last = Instant::now();
            line(format_args!("{table}: {step} ({rows} rows)"));
        }
        ProgressEvent::Started { rows: None } if !terminal => line(format_args!("{table}: {step}")),
        ProgressEvent::Rows {
            done,
            total,
            estimated,
        } => match bar.as_ref() {
            Some(drawn) => drawn.set_position(done),
            None if last.elapsed() >= Duration::from_secs(1) => {
                *last = Instant::now();
                let about = if estimated { "about " } else { "" };
                line(format_args!(
                    "{table}: {step}: {about}{done} of {total} rows"
                ));
            }
            None => {}
        },
        ProgressEvent::Finished { rows } => {
            if let Some(drawn) = bar.take() {
                drawn.finish_and_clear();
            }
            if let (Some(rows), true) = (rows, matches!(progress.step, ProgressStep::Copy)) {
                line(format_args!("{table}: {step}: {rows} rows"));
            }
        }
        _ => {}
    }
}

/// A line on stderr. A closed stderr (`| head`, a tee ended by the same Ctrl-C) loses the
/// line, never the migration: `eprintln!` would panic there.
fn line(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn step_name(step: ProgressStep) -> &'static str {
    match step {
        ProgressStep::Create => "create",
        ProgressStep::Copy => "copy",
        ProgressStep::Index => "index",
        ProgressStep::Verify => "verify",
        ProgressStep::Capture => "capture",
        ProgressStep::Settle => "settle",
        ProgressStep::Drop => "drop",
        ProgressStep::Rebuild => "rebuild",
        ProgressStep::Ledger => "ledger",
    }
}
