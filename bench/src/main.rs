//! wrkflw's benchmark suite: every figure beside its hand-written baseline, measured in the
//! same run on the same files, and the ratio between them.
//!
//! ```text
//! cargo run --release -p wrkflw-bench -- --quick   # 10,000 and 100,000 rows, about a minute
//! cargo run --release -p wrkflw-bench              # 10,000 / 100,000 / 1,000,000 rows
//! ```
//!
//! Options: `--quick`, `--rows 10000,250000` (sizes), `--rounds N` (the median of N rounds is
//! shown; default 3, or 1 at 1,000,000 rows and above), `--dir PATH` (where the database files
//! go; default a temporary directory, about 2.5 GB at 1,000,000 rows).
//!
//! Rows never pass through Rust in a migration, so the 1,000,000-row cases run in plain release
//! code here rather than under criterion, which would repeat them dozens of times; the
//! micro-benchmarks in `benches/migrate.rs` use criterion.
//!
//! What the change capture costs the writes of an old deployment that still writes the kept
//! legacy table is measured in `old_deployment.rs`, on the same legacy files.
//!
//! A table rebuild (a type change on one column of a table with two indexes) is measured
//! beside the same twelve steps written by hand, with both runs' peak memory, at each size;
//! `--rebuild-only` measures only that.
//!
//! What a progress callback (`Migrator::on_progress`) costs a first migration is measured
//! beside the same migration without one, on fresh copies of one legacy file;
//! `--progress-only` measures only that.
//!
//! `--postgres [CONNECTION]` (or `WRKFLW_BENCH_POSTGRES`) measures the PostgreSQL migration
//! instead, on that server: see `pg.rs`.

use std::error::Error;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wrkflw::rusqlite::Connection;
use wrkflw::{CopyPath, LegacyTable, Migrator, ProgressEvent, ProgressStep, Table};

mod old_deployment;
mod pg;
mod rebuild_fixture;
#[path = "../../wrkflw/examples/seed/mod.rs"]
mod seed;

use seed::WorkflowRun;

/// A benchmark's outcome: a boxed error is enough for a program that reports and exits.
type Outcome<T = ()> = Result<T, Box<dyn Error>>;

fn main() -> Outcome {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, which, path] = args.as_slice() {
        if flag == CHILD_FLAG {
            return peak_memory_child(which, Path::new(path));
        }
    }
    let options = Options::parse(&args)?;
    if let Some(server) = &options.postgres {
        let mut table = Report::default();
        println!(
            "wrkflw PostgreSQL benchmarks: {} legacy rows of the seed table, {} round(s) (median shown)\n",
            options
                .sizes
                .iter()
                .map(|n| thousands(*n))
                .collect::<Vec<_>>()
                .join(" / "),
            options.describe_rounds(),
        );
        pg::run(&mut table, server, &options.sizes, &|rows| {
            options.rounds(rows)
        })?;
        table.print();
        return Ok(());
    }
    let scratch;
    let dir = match &options.dir {
        Some(dir) => dir.clone(),
        None => {
            scratch = tempfile::tempdir()?;
            scratch.path().to_owned()
        }
    };
    println!(
        "wrkflw benchmarks: {} legacy rows of the seed table, {} round(s) (median shown)\n",
        options
            .sizes
            .iter()
            .map(|n| thousands(*n))
            .collect::<Vec<_>>()
            .join(" / "),
        options.describe_rounds(),
    );
    let mut table = Report::default();
    for &rows in &options.sizes {
        if !options.progress_only {
            rebuilds(&mut table, &dir, rows, options.rounds(rows))?;
        }
        if options.rebuild_only {
            continue;
        }
        let started = Instant::now();
        let legacy = dir.join(format!("legacy-{rows}.sqlite3"));
        build_legacy(&legacy, rows, seed::LEGACY_SCHEMA_SQL)?;
        eprintln!(
            "built {} legacy rows ({} MB) in {:.1} s",
            thousands(rows),
            std::fs::metadata(&legacy)?.len() / 1_000_000,
            started.elapsed().as_secs_f64()
        );
        progress_overhead(&mut table, &dir, &legacy, rows, options.rounds(rows))?;
        if options.progress_only {
            std::fs::remove_file(&legacy)?;
            continue;
        }
        for journal in [Journal::Rollback, Journal::Wal] {
            migrations(
                &mut table,
                &dir,
                &legacy,
                rows,
                journal,
                options.rounds(rows),
            )?;
            old_deployment::old_deployment_writes(
                &mut table,
                &dir,
                &legacy,
                rows,
                journal,
                options.rounds(rows),
            )?;
        }
        peak_memory(&mut table, &dir, &legacy, rows)?;
        std::fs::remove_file(&legacy)?;

        // The same rows in a legacy table whose key is declared NOT NULL, as in the new
        // table: SQLite's transfer optimization applies.
        build_legacy(&legacy, rows, &key_not_null_schema())?;
        for journal in [Journal::Rollback, Journal::Wal] {
            transfer_migration(
                &mut table,
                &dir,
                &legacy,
                rows,
                journal,
                options.rounds(rows),
            )?;
        }
        std::fs::remove_file(&legacy)?;
    }
    table.print();
    Ok(())
}

/// The command line.
struct Options {
    sizes: Vec<u64>,
    rebuild_only: bool,
    progress_only: bool,
    rounds: Option<usize>,
    dir: Option<PathBuf>,
    /// `--postgres [CONNECTION]`: the PostgreSQL benchmarks only, on this server.
    postgres: Option<String>,
}

impl Options {
    fn parse(args: &[String]) -> Outcome<Options> {
        let mut options = Options {
            sizes: vec![10_000, 100_000, 1_000_000],
            rebuild_only: false,
            progress_only: false,
            rounds: None,
            dir: None,
            postgres: None,
        };
        let mut args = args.iter().peekable();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--quick" => options.sizes = vec![10_000, 100_000],
                "--rebuild-only" => options.rebuild_only = true,
                "--progress-only" => options.progress_only = true,
                "--rows" => {
                    options.sizes = value()?
                        .split(',')
                        .map(|n| n.replace('_', "").parse())
                        .collect::<Result<_, _>>()?
                }
                "--rounds" => options.rounds = Some(value()?.parse()?),
                "--dir" => options.dir = Some(PathBuf::from(value()?)),
                "--postgres" => {
                    options.postgres = Some(match args.next_if(|next| !next.starts_with("--")) {
                        Some(server) => server.clone(),
                        None => std::env::var(pg::SERVER_VARIABLE).map_err(|_| {
                            format!(
                                "--postgres needs a connection string, or {} set",
                                pg::SERVER_VARIABLE
                            )
                        })?,
                    })
                }
                other => {
                    return Err(format!(
                        "unknown option {other}; expected --quick, --rows N[,N...], --rounds N, --dir PATH, --rebuild-only, --progress-only, --postgres [CONNECTION]"
                    )
                    .into())
                }
            }
        }
        Ok(options)
    }

    fn rounds(&self, rows: u64) -> usize {
        self.rounds
            .unwrap_or(if rows >= 1_000_000 { 1 } else { 3 })
            .max(1)
    }

    fn describe_rounds(&self) -> String {
        match self.rounds {
            Some(n) => n.to_string(),
            None => "3 (1 at 1,000,000 rows and above)".to_owned(),
        }
    }
}

/// The journal mode a database file is in while it is migrated.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Journal {
    Rollback,
    Wal,
}

impl Journal {
    fn name(self) -> &'static str {
        match self {
            Journal::Rollback => "rollback",
            Journal::Wal => "WAL",
        }
    }
}

/// The legacy database every measurement starts from: `rows` realistic runs in the given
/// legacy schema (the original engine's exact one, or a variant), in rollback-journal mode.
fn build_legacy(path: &Path, rows: u64, schema: &str) -> Outcome {
    remove_database(path)?;
    let mut conn = Connection::open(path)?;
    conn.execute_batch(schema)?;
    const BATCH: u64 = 50_000;
    for first in (0..rows).step_by(BATCH as usize) {
        seed::insert_legacy_runs(&mut conn, first, BATCH.min(rows - first))?;
    }
    Ok(())
}

/// A fresh copy of the legacy database in the given journal mode, opened.
fn fresh_copy(legacy: &Path, path: &Path, journal: Journal) -> Outcome<Connection> {
    remove_database(path)?;
    std::fs::copy(legacy, path)?;
    let conn = Connection::open(path)?;
    if journal == Journal::Wal {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if mode != "wal" {
            return Err(format!("could not switch {} to WAL: {mode}", path.display()).into());
        }
    }
    Ok(conn)
}

fn remove_database(path: &Path) -> Outcome {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// The seed's hand-written migration: the original engine's new table with its indexes, then
/// its `INSERT OR IGNORE ... SELECT`, in one transaction.
fn seed_first_migration(conn: &Connection) -> Outcome {
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {} {} COMMIT;",
        seed::ORIGINAL_NEW_SCHEMA_SQL,
        seed::ORIGINAL_COPY_SQL
    ))?;
    Ok(())
}

/// The seed's statement run again over a fully copied table, as the original does at every
/// start.
fn seed_rerun(conn: &Connection) -> Outcome {
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {} COMMIT;",
        seed::ORIGINAL_COPY_SQL
    ))?;
    Ok(())
}

fn wrkflw_migrate(conn: &mut Connection) -> Outcome<wrkflw::MigrationReport> {
    Ok(WorkflowRun::migrate(conn, LegacyTable::Keep)?)
}

fn timed<T>(work: impl FnOnce() -> Outcome<T>) -> Outcome<(Duration, T)> {
    let started = Instant::now();
    let value = work()?;
    Ok((started.elapsed(), value))
}

/// The seed's legacy schema with its key declared `NOT NULL`, like the new table's.
fn key_not_null_schema() -> String {
    let schema = seed::LEGACY_SCHEMA_SQL.replace(
        "run_id TEXT PRIMARY KEY",
        "run_id TEXT NOT NULL PRIMARY KEY",
    );
    assert_ne!(
        schema,
        seed::LEGACY_SCHEMA_SQL,
        "the seed schema's key line changed"
    );
    schema
}

/// First migration where the transfer path applies, against the seed's statement on the
/// same file.
fn transfer_migration(
    table: &mut Report,
    dir: &Path,
    legacy: &Path,
    rows: u64,
    journal: Journal,
    rounds: usize,
) -> Outcome {
    let mut first = Samples::default();
    let mut floor = Vec::new();
    for _ in 0..rounds {
        // No copy can beat writing the legacy file's bytes once and syncing them.
        let copy_path = dir.join("floor.sqlite3");
        floor.push(
            timed(|| {
                std::fs::copy(legacy, &copy_path)?;
                std::fs::File::open(&copy_path)?.sync_all()?;
                Ok(())
            })?
            .0,
        );
        std::fs::remove_file(&copy_path)?;

        first_migration(dir, legacy, rows, journal, CopyPath::Transfer, &mut first)?;
    }
    remove_database(&dir.join(OURS_FILE))?;
    remove_database(&dir.join(SEED_FILE))?;
    table.push(Line {
        what: "first migration, transfer path (legacy key NOT NULL) vs seed's statement",
        rows,
        journal: journal.name(),
        ours: Figure::Time(first.ours_median()),
        baseline: Figure::Time(first.baseline_median()),
        goal: Some(0.25),
    });
    table.push(Line {
        what: "floor: copy the legacy file and fsync it vs seed's statement",
        rows,
        journal: journal.name(),
        ours: Figure::Time(median(&floor)),
        baseline: Figure::Time(first.baseline_median()),
        goal: None,
    });
    Ok(())
}

/// First migration and re-run, wrkflw and the seed's SQL, alternating so that drift in the
/// machine's speed affects both sides alike.
fn migrations(
    table: &mut Report,
    dir: &Path,
    legacy: &Path,
    rows: u64,
    journal: Journal,
    rounds: usize,
) -> Outcome {
    let mut first = Samples::default();
    let mut rerun = Samples::default();
    for _ in 0..rounds {
        let (mut ours, seed) =
            first_migration(dir, legacy, rows, journal, CopyPath::BulkInsert, &mut first)?;
        // A re-run's own work, as every later start-up does it: the median of a few on the
        // migrated file (the first statement after the migration also re-reads the schema
        // it changed, as any connection's first statement reads it).
        let mut reruns = Vec::new();
        for _ in 0..RERUNS {
            let (took, report) = timed(|| wrkflw_migrate(&mut ours))?;
            if report.rows_copied != 0 {
                return Err(format!("the re-run copied {} rows again", report.rows_copied).into());
            }
            reruns.push(took);
        }
        rerun.ours.push(median(&reruns));
        rerun.baseline.push(timed(|| seed_rerun(&seed))?.0);
    }
    remove_database(&dir.join(OURS_FILE))?;
    remove_database(&dir.join(SEED_FILE))?;

    let first_ours = first.ours_median();
    table.push(Line {
        what: "first migration, bulk insert (seed's legacy table) vs seed's statement",
        rows,
        journal: journal.name(),
        ours: Figure::Time(first_ours),
        baseline: Figure::Time(first.baseline_median()),
        goal: Some(0.70),
    });
    table.push(Line {
        what: "re-run vs seed's re-run",
        rows,
        journal: journal.name(),
        ours: Figure::Time(rerun.ours_median()),
        baseline: Figure::Time(rerun.baseline_median()),
        goal: None,
    });
    table.push(Line {
        what: "re-run vs wrkflw's first migration",
        rows,
        journal: journal.name(),
        ours: Figure::Time(rerun.ours_median()),
        baseline: Figure::Time(first_ours),
        goal: (rows >= 1_000_000).then_some(0.01),
    });
    Ok(())
}

/// What the benchmark's progress callback heard in one migration.
#[derive(Debug, Default)]
struct Heard {
    events: u64,
    rows_events: u64,
    /// The last estimate of rows done before the copy finished.
    last_estimate: u64,
    copied: Option<u64>,
}

/// A first migration (rollback journal, legacy table kept) with a progress callback that
/// counts what it hears, against the same migration without a callback, alternating which
/// goes first on fresh copies of the legacy file.
fn progress_overhead(
    table: &mut Report,
    dir: &Path,
    legacy: &Path,
    rows: u64,
    rounds: usize,
) -> Outcome {
    let path = dir.join(OURS_FILE);
    let mut samples = Samples::default();
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for with_callback in order {
            let mut conn = fresh_copy(legacy, &path, Journal::Rollback)?;
            let heard = Arc::new(Mutex::new(Heard::default()));
            let mut migrator = Migrator::new().table::<WorkflowRun>();
            if with_callback {
                let heard = Arc::clone(&heard);
                migrator = migrator.on_progress(move |progress| {
                    let mut heard = heard.lock().unwrap_or_else(|e| e.into_inner());
                    heard.events += 1;
                    match (progress.step, progress.event) {
                        (_, ProgressEvent::Rows { done, .. }) => {
                            heard.rows_events += 1;
                            heard.last_estimate = done;
                        }
                        (ProgressStep::Copy, ProgressEvent::Finished { rows }) => {
                            heard.copied = rows;
                        }
                        _ => {}
                    }
                    ControlFlow::Continue(())
                });
            }
            let (took, reports) = timed(|| Ok(migrator.run(&mut conn, LegacyTable::Keep)?))?;
            if reports[0].rows_copied != rows {
                return Err(format!("copied {} of {rows} rows", reports[0].rows_copied).into());
            }
            if with_callback {
                let heard = heard.lock().unwrap_or_else(|e| e.into_inner());
                if heard.copied != Some(rows) {
                    return Err(format!("the callback heard {heard:?} for {rows} rows").into());
                }
                eprintln!(
                    "  progress callback: {} events ({} of them Rows) in a migration of {:.2} s; the last Rows estimated {} of {} rows",
                    heard.events,
                    heard.rows_events,
                    took.as_secs_f64(),
                    thousands(heard.last_estimate),
                    thousands(rows),
                );
                samples.ours.push(took);
            } else {
                samples.baseline.push(took);
            }
        }
    }
    remove_database(&path)?;
    table.push(Line {
        what: "first migration with a progress callback vs without",
        rows,
        journal: Journal::Rollback.name(),
        ours: Figure::Time(samples.ours_median()),
        baseline: Figure::Time(samples.baseline_median()),
        goal: Some(1.02),
    });
    Ok(())
}

/// Re-runs timed after each first migration, of which the median counts.
const RERUNS: usize = 5;

/// The scratch files each first migration works on, in the benchmark's directory.
const OURS_FILE: &str = "wrkflw.sqlite3";
const SEED_FILE: &str = "seed.sqlite3";

/// One round of a first migration on fresh copies of the legacy file: wrkflw's (which must
/// copy every row by `expected`), then the seed's. Returns both connections, migrated.
fn first_migration(
    dir: &Path,
    legacy: &Path,
    rows: u64,
    journal: Journal,
    expected: CopyPath,
    samples: &mut Samples,
) -> Outcome<(Connection, Connection)> {
    let mut ours = fresh_copy(legacy, &dir.join(OURS_FILE), journal)?;
    let (took, report) = timed(|| wrkflw_migrate(&mut ours))?;
    if report.rows_copied != rows || report.copy_path != Some(expected) {
        return Err(format!(
            "expected {expected:?} of all {rows} rows, got {:?} of {}",
            report.copy_path, report.rows_copied
        )
        .into());
    }
    samples.ours.push(took);
    let seed = fresh_copy(legacy, &dir.join(SEED_FILE), journal)?;
    samples
        .baseline
        .push(timed(|| seed_first_migration(&seed))?.0);
    Ok((ours, seed))
}

#[derive(Default)]
struct Samples {
    ours: Vec<Duration>,
    baseline: Vec<Duration>,
}

impl Samples {
    fn ours_median(&self) -> Duration {
        median(&self.ours)
    }

    fn baseline_median(&self) -> Duration {
        median(&self.baseline)
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

const CHILD_FLAG: &str = "--peak-memory-child";

/// The peak resident memory, in KiB, of the child process that runs `which` on a fresh copy
/// of `template` at `path`: a process of its own, so that nothing else this program did
/// counts towards it.
fn child_peak(template: &Path, path: &Path, which: &str) -> Outcome<u64> {
    drop(fresh_copy(template, path, Journal::Rollback)?);
    let output = Command::new(std::env::current_exe()?)
        .args([CHILD_FLAG, which])
        .arg(path)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "peak-memory child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?.trim().parse()?)
}

/// Peak resident memory of a first migration, measured in a child process of its own.
fn peak_memory(table: &mut Report, dir: &Path, legacy: &Path, rows: u64) -> Outcome {
    let path = dir.join("memory.sqlite3");
    let ours = child_peak(legacy, &path, "wrkflw")?;
    let baseline = child_peak(legacy, &path, "seed")?;
    remove_database(&path)?;
    table.push(Line {
        what: "peak memory of the first migration",
        rows,
        journal: Journal::Rollback.name(),
        ours: Figure::Kibibytes(ours),
        baseline: Figure::Kibibytes(baseline),
        goal: None,
    });
    Ok(())
}

/// A rebuild of `rows` items by wrkflw against the hand-written twelve steps, alternating
/// on fresh copies of one file, then both rebuilds' peak memory, each in a child process.
fn rebuilds(table: &mut Report, dir: &Path, rows: u64, rounds: usize) -> Outcome {
    let template = dir.join(format!("items-{rows}.sqlite3"));
    let started = Instant::now();
    rebuild_fixture::build(&template, rows)?;
    eprintln!(
        "built {} items ({} MB) in {:.1} s",
        thousands(rows),
        std::fs::metadata(&template)?.len() / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    let work = dir.join("rebuild.sqlite3");
    let mut samples = Samples::default();
    for _ in 0..rounds {
        let mut conn = fresh_copy(&template, &work, Journal::Rollback)?;
        samples
            .ours
            .push(timed(|| Ok(rebuild_fixture::rebuild_with_wrkflw(&mut conn)?))?.0);
        drop(conn);
        let conn = fresh_copy(&template, &work, Journal::Rollback)?;
        samples
            .baseline
            .push(timed(|| Ok(rebuild_fixture::rebuild_by_hand(&conn)?))?.0);
    }
    table.push(Line {
        what: "rebuild (type change, two indexes) vs the twelve steps by hand",
        rows,
        journal: Journal::Rollback.name(),
        ours: Figure::Time(samples.ours_median()),
        baseline: Figure::Time(samples.baseline_median()),
        goal: Some(1.10),
    });
    let ours = child_peak(&template, &work, "rebuild-wrkflw")?;
    let baseline = child_peak(&template, &work, "rebuild-hand")?;
    table.push(Line {
        what: "peak memory of the rebuild vs the twelve steps by hand",
        rows,
        journal: Journal::Rollback.name(),
        ours: Figure::Kibibytes(ours),
        baseline: Figure::Kibibytes(baseline),
        goal: None,
    });
    remove_database(&work)?;
    remove_database(&template)?;
    Ok(())
}

/// In the child: migrate the file one way and print the process's peak resident set in KiB.
fn peak_memory_child(which: &str, path: &Path) -> Outcome {
    let mut conn = Connection::open(path)?;
    match which {
        "wrkflw" => drop(wrkflw_migrate(&mut conn)?),
        "seed" => seed_first_migration(&conn)?,
        "rebuild-wrkflw" => rebuild_fixture::rebuild_with_wrkflw(&mut conn)?,
        "rebuild-hand" => rebuild_fixture::rebuild_by_hand(&conn)?,
        other => return Err(format!("unknown migration {other}").into()),
    }
    drop(conn);
    println!("{}", peak_resident_kib()?);
    Ok(())
}

/// `VmHWM` of `/proc/self/status`: the most resident memory this process has had (Linux).
fn peak_resident_kib() -> Outcome<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status (peak memory is measured on Linux only)")?;
    Ok(line.trim().trim_end_matches("kB").trim().parse()?)
}

/// A measured value.
#[derive(Debug, Clone, Copy)]
enum Figure {
    Time(Duration),
    Kibibytes(u64),
}

impl Figure {
    fn value(self) -> f64 {
        match self {
            Figure::Time(d) => d.as_secs_f64(),
            Figure::Kibibytes(k) => k as f64,
        }
    }

    fn show(self) -> String {
        match self {
            Figure::Time(d) if d < Duration::from_secs(1) => {
                format!("{:.1} ms", d.as_secs_f64() * 1000.0)
            }
            Figure::Time(d) => format!("{:.2} s", d.as_secs_f64()),
            Figure::Kibibytes(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        }
    }
}

/// One line of the printed table: a figure, its baseline from the same run, their ratio,
/// and the goal an issue set for that ratio, if any.
struct Line {
    what: &'static str,
    rows: u64,
    journal: &'static str,
    ours: Figure,
    baseline: Figure,
    goal: Option<f64>,
}

#[derive(Default)]
struct Report {
    lines: Vec<Line>,
}

impl Report {
    fn push(&mut self, line: Line) {
        eprintln!(
            "  {} ({} rows, {}): {} vs {}",
            line.what,
            thousands(line.rows),
            line.journal,
            line.ours.show(),
            line.baseline.show()
        );
        self.lines.push(line);
    }

    /// Prints a Markdown table, grouped by measurement, so it can be pasted into BENCHMARKS.md.
    fn print(&self) {
        println!("| measurement | legacy rows | journal | wrkflw | baseline | ratio | goal |");
        println!("| --- | ---: | --- | ---: | ---: | ---: | --- |");
        let mut order: Vec<&Line> = self.lines.iter().collect();
        let kinds: Vec<&str> = {
            let mut kinds = Vec::new();
            for line in &self.lines {
                if !kinds.contains(&line.what) {
                    kinds.push(line.what);
                }
            }
            kinds
        };
        order.sort_by_key(|line| kinds.iter().position(|k| *k == line.what));
        for line in order {
            let ratio = line.ours.value() / line.baseline.value();
            let goal = match line.goal {
                Some(goal) if ratio <= goal => format!("≤ {goal:.2}: met"),
                Some(goal) => format!("≤ {goal:.2}: **not met**"),
                None => String::new(),
            };
            println!(
                "| {} | {} | {} | {} | {} | {ratio:.3} | {goal} |",
                line.what,
                thousands(line.rows),
                line.journal,
                line.ours.show(),
                line.baseline.show(),
            );
        }
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits_in_threes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn median_takes_the_middle_sample() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(9), ms(1), ms(5)]), ms(5));
        assert_eq!(median(&[ms(7)]), ms(7));
    }

    #[test]
    fn options_parse_sizes_and_refuse_unknown_flags() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let options = Options::parse(&args(&["--rows", "2_000,30000", "--rounds", "2"])).unwrap();
        assert_eq!(options.sizes, [2_000, 30_000]);
        assert_eq!(options.rounds(1_000_000), 2);
        assert_eq!(
            Options::parse(&args(&["--quick"])).unwrap().rounds(100_000),
            3
        );
        let error = Options::parse(&args(&["--fast"]))
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("unknown option --fast"), "{error}");
    }
}
