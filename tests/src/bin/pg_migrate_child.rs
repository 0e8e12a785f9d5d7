//! A separate process for the PostgreSQL test that kills a migrator mid-copy:
//! `pg-migrate-child <connection string>` migrates the seed table with `LegacyTable::Keep`
//! and prints `copied <rows>`.

use wrkflw::postgres::{Client, NoTls, PgTable};
use wrkflw::LegacyTable;
use wrkflw_tests::WorkflowRun;

fn main() {
    let connection = std::env::args()
        .nth(1)
        .expect("usage: pg-migrate-child <connection string>");
    let mut client = Client::connect(&connection, NoTls).expect("connect to the server");
    match <WorkflowRun as PgTable>::migrate(&mut client, LegacyTable::Keep) {
        Ok(report) => println!("copied {}", report.rows_copied),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
