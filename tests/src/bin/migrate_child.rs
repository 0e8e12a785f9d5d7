//! A separate process that migrates the seed table, for the tests that need real processes:
//! several starting at once, and one killed with SIGKILL in the middle of a migration.
//!
//! `migrate-child <db> [pause-after <n>]` migrates with `LegacyTable::Keep` and prints
//! `copied <rows> progress <callbacks>`. With `pause-after n` it prints `paused` once SQLite
//! has run n×1000 virtual-machine instructions and then blocks inside SQLite, mid-statement,
//! until the test kills it.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wrkflw::{LegacyTable, Table};
use wrkflw_tests::WorkflowRun;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .expect("usage: migrate-child <db> [pause-after <n>]");
    let pause_after: Option<u64> = match args.get(1).map(String::as_str) {
        Some("pause-after") => Some(args[2].parse().expect("a number of callbacks")),
        _ => None,
    };
    let mut conn = wrkflw::rusqlite::Connection::open(path).expect("open the database");
    let callbacks = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&callbacks);
    conn.progress_handler(
        1000,
        Some(move || {
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            if Some(n) == pause_after {
                println!("paused");
                std::io::stdout().flush().unwrap();
                loop {
                    std::thread::park();
                }
            }
            false
        }),
    )
    .expect("install the progress handler");
    match WorkflowRun::migrate(&mut conn, LegacyTable::Keep) {
        Ok(report) => println!(
            "copied {} progress {}",
            report.rows_copied,
            callbacks.load(Ordering::Relaxed)
        ),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
