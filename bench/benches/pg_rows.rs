//! Criterion benchmarks of typed rows on PostgreSQL, each beside the hand-written `postgres`
//! code a user would write for the same work, as `rows.rs` does on SQLite: the seed struct's
//! generated `insert`, `get` and `from_pg_row` against `client.execute(INSERT ..., &[...])`,
//! `client.query_opt(SELECT ...)` with `row.try_get(i)` for each column, and
//! `client.query("SELECT * ...")` read the same way. For reference, the hand-written insert
//! and get also run with their statement prepared once per run (`client.prepare`).
//!
//! ```sh
//! WRKFLW_BENCH_POSTGRES='host=localhost user=postgres' cargo bench -p wrkflw-bench --bench pg_rows
//! ```
//!
//! Without `WRKFLW_BENCH_POSTGRES` it says so and measures nothing. Each run creates a
//! database of its own on that server and drops it at the end.
//!
//! Criterion reports each side on its own; the ratio (typed / hand-written), which is what
//! issue 12's goal is about, is printed at the end from rounds of their own. A shared machine
//! (other builds, the server on the same cores) slows whole stretches of a run down, so the
//! rounds are short and interleaved: each runs both sides on a tenth of the case's work (100
//! inserts in one transaction, 100 gets; the whole `SELECT *`), in alternating order, on the
//! same table state, so that a slow stretch hits both sides of a round alike. The ratio is the
//! median of the rounds' ratios, printed with the quartiles so that the noise shows.

use std::str::FromStr;
use std::time::{Duration, Instant};

use criterion::Criterion;
use wrkflw::postgres::driver::{Client, Config, Error as PgError, GenericClient, Row, ToStatement};
use wrkflw::postgres::PgTable;

// The seed rows, and the tests' database per run (`PgDb`), dropped with its connections at
// the end.
use wrkflw_tests::{pg, seed, WorkflowRun};

/// The variable naming the server: a connection string.
const SERVER_VARIABLE: &str = "WRKFLW_BENCH_POSTGRES";

/// Rows inserted in one transaction per measured insert.
const INSERT_ROWS: u64 = 1_000;
/// Rows in the table the gets and the `SELECT *` read.
const TABLE_ROWS: u64 = 10_000;
/// Gets per measured iteration.
const GETS: u64 = 1_000;
/// Interleaved rounds behind each printed ratio (odd, so that the median is one round's).
const ROUNDS: usize = 201;
/// How many of a case's inputs (inserts, gets) one round runs.
const ROUND_SIZE: usize = 100;

/// The insert a hand-written application would write for the seed table.
const HAND_INSERT: &str = "INSERT INTO wrkflw_workflow_runs (run_id, workflow_id, status,
  execution_path, step_results, state, input_data, result, error, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const HAND_SELECT: &str = "SELECT run_id, workflow_id, status, execution_path, step_results,
  state, input_data, result, error, created_at, updated_at
FROM wrkflw_workflow_runs WHERE run_id = $1";

/// Creates the seed's table with the generated DDL, empty.
fn create_table(client: &mut Client) {
    client.batch_execute(WorkflowRun::PG_CREATE_SQL).unwrap();
    for index in WorkflowRun::PG_INDEX_SQL {
        client.batch_execute(index).unwrap();
    }
}

fn empty_table(client: &mut Client) {
    client
        .batch_execute("TRUNCATE wrkflw_workflow_runs")
        .unwrap();
}

fn fill_table(client: &mut Client, rows: u64) {
    empty_table(client);
    let mut tx = client.transaction().unwrap();
    for n in 0..rows {
        seed::legacy_run(n).insert(&mut tx).unwrap();
    }
    tx.commit().unwrap();
    client
        .batch_execute("ANALYZE wrkflw_workflow_runs")
        .unwrap();
}

/// A run read by hand: each column by position, as a user writes it.
fn hand_read(row: &Row) -> Result<WorkflowRun, PgError> {
    Ok(WorkflowRun {
        run_id: row.try_get(0)?,
        workflow_id: row.try_get(1)?,
        status: row.try_get(2)?,
        execution_path: row.try_get(3)?,
        step_results: row.try_get(4)?,
        state: row.try_get(5)?,
        input_data: row.try_get(6)?,
        result: row.try_get(7)?,
        error: row.try_get(8)?,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
    })
}

/// The per-row insert written by hand: the statement (its text, or prepared) and the
/// fields as parameters.
fn hand_insert<Q>(
    client: &mut impl GenericClient,
    insert: &Q,
    r: &WorkflowRun,
) -> Result<u64, PgError>
where
    Q: ?Sized + ToStatement,
{
    client.execute(
        insert,
        &[
            &r.run_id,
            &r.workflow_id,
            &r.status,
            &r.execution_path,
            &r.step_results,
            &r.state,
            &r.input_data,
            &r.result,
            &r.error,
            &r.created_at,
            &r.updated_at,
        ],
    )
}

/// The work each case measures, typed and by hand, given the same inputs.
struct Inputs {
    runs: Vec<WorkflowRun>,
    keys: Vec<String>,
}

/// The whole of a case's inputs, or the [`ROUND_SIZE`] of them that round `n` takes.
#[derive(Clone, Copy)]
enum Part {
    All,
    Round(usize),
}

impl Part {
    fn of<T>(self, items: &[T]) -> &[T] {
        match self {
            Part::All => items,
            Part::Round(n) => {
                let start = n * ROUND_SIZE % items.len();
                &items[start..(start + ROUND_SIZE).min(items.len())]
            }
        }
    }
}

impl Inputs {
    fn new() -> Inputs {
        Inputs {
            runs: (0..INSERT_ROWS).map(seed::legacy_run).collect(),
            keys: (0..GETS)
                .map(|i| seed::legacy_run(i * 7 % TABLE_ROWS).run_id)
                .collect(),
        }
    }

    fn typed_insert(&self, client: &mut Client, part: Part) {
        let mut tx = client.transaction().unwrap();
        for run in part.of(&self.runs) {
            run.insert(&mut tx).unwrap();
        }
        tx.commit().unwrap();
    }

    fn hand_insert(&self, client: &mut Client, part: Part) {
        let mut tx = client.transaction().unwrap();
        for run in part.of(&self.runs) {
            hand_insert(&mut tx, HAND_INSERT, run).unwrap();
        }
        tx.commit().unwrap();
    }

    fn prepared_insert(&self, client: &mut Client, part: Part) {
        let mut tx = client.transaction().unwrap();
        let insert = tx.prepare(HAND_INSERT).unwrap();
        for run in part.of(&self.runs) {
            hand_insert(&mut tx, &insert, run).unwrap();
        }
        tx.commit().unwrap();
    }

    fn typed_get(&self, client: &mut Client, part: Part) {
        for key in part.of(&self.keys) {
            WorkflowRun::get(client, key.as_str()).unwrap().unwrap();
        }
    }

    fn hand_get(&self, client: &mut Client, part: Part) {
        for key in part.of(&self.keys) {
            let row = client.query_opt(HAND_SELECT, &[key]).unwrap().unwrap();
            hand_read(&row).unwrap();
        }
    }

    fn prepared_get(&self, client: &mut Client, part: Part) {
        let select = client.prepare(HAND_SELECT).unwrap();
        for key in part.of(&self.keys) {
            let row = client.query_opt(&select, &[key]).unwrap().unwrap();
            hand_read(&row).unwrap();
        }
    }

    fn typed_select_all(&self, client: &mut Client, _: Part) {
        let rows: Vec<WorkflowRun> = client
            .query("SELECT * FROM wrkflw_workflow_runs", &[])
            .unwrap()
            .iter()
            .map(WorkflowRun::from_pg_row)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len() as u64, TABLE_ROWS);
    }

    fn hand_select_all(&self, client: &mut Client, _: Part) {
        let rows: Vec<WorkflowRun> = client
            .query("SELECT * FROM wrkflw_workflow_runs", &[])
            .unwrap()
            .iter()
            .map(hand_read)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len() as u64, TABLE_ROWS);
    }
}

/// One side of a case.
type Side = fn(&Inputs, &mut Client, Part);

/// One measured case: typed, the hand-written code the goal compares it with, and, for
/// reference, the hand-written code with its statement prepared once per run (one round trip
/// per row, and no parsing: the fastest a user can write it row by row).
struct Case {
    name: &'static str,
    /// Whether each run starts from an empty table (inserts) or from [`TABLE_ROWS`] rows.
    empty: bool,
    typed: Side,
    hand: Side,
    prepared: Option<Side>,
}

const CASES: [Case; 3] = [
    Case {
        name: "insert 1,000 rows in one transaction",
        empty: true,
        typed: Inputs::typed_insert,
        hand: Inputs::hand_insert,
        prepared: Some(Inputs::prepared_insert),
    },
    Case {
        name: "get 1,000 rows by key of 10,000",
        empty: false,
        typed: Inputs::typed_get,
        hand: Inputs::hand_get,
        prepared: Some(Inputs::prepared_get),
    },
    Case {
        name: "read 10,000 rows of SELECT *",
        empty: false,
        typed: Inputs::typed_select_all,
        hand: Inputs::hand_select_all,
        prepared: None,
    },
];

impl Case {
    /// The sides, named, typed first.
    fn sides(&self) -> Vec<(&'static str, Side)> {
        let mut sides = vec![("typed", self.typed), ("hand-written", self.hand)];
        sides.extend(
            self.prepared
                .map(|side| ("hand-written, prepared once", side)),
        );
        sides
    }

    /// Fills the table once for the reading cases.
    fn set_up(&self, client: &mut Client) {
        if self.empty {
            empty_table(client);
        } else {
            fill_table(client, TABLE_ROWS);
        }
    }

    /// One run of `side`, timed; the table emptied first (untimed) for the inserts.
    fn timed(&self, side: Side, inputs: &Inputs, client: &mut Client, part: Part) -> Duration {
        if self.empty {
            empty_table(client);
        }
        let start = Instant::now();
        side(inputs, client, part);
        start.elapsed()
    }
}

fn criterion_cases(c: &mut Criterion, client: &mut Client, inputs: &Inputs) {
    for case in &CASES {
        case.set_up(client);
        let mut group = c.benchmark_group(format!("PostgreSQL: {}", case.name));
        group.sample_size(10);
        for (name, side) in case.sides() {
            group.bench_function(name, |b| {
                b.iter_custom(|iterations| {
                    (0..iterations)
                        .map(|_| case.timed(side, inputs, client, Part::All))
                        .sum()
                })
            });
        }
        group.finish();
    }
}

/// The value at `at` (0 to 1) of `values`, sorted in place.
fn quantile(values: &mut [f64], at: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * at).round() as usize]
}

/// Each case's ratios from [`ROUNDS`] short interleaved rounds, printed as a table.
fn ratios(client: &mut Client, inputs: &Inputs) {
    println!(
        "\nRatios from {ROUNDS} interleaved rounds (each of {ROUND_SIZE} inserts in one \
         transaction, {ROUND_SIZE} gets, or one SELECT *): the median of the rounds' ratios, \
         with their quartiles; goal typed / hand-written <= 1.05\n"
    );
    println!(
        "| case | typed | hand-written | typed / hand-written | quartiles | prepared once | typed / prepared once |\n\
         | --- | ---: | ---: | ---: | --- | ---: | ---: |"
    );
    for case in &CASES {
        case.set_up(client);
        let sides = case.sides();
        // Untimed rounds first: connections, plans and caches warm on every side.
        for round in 0..3 {
            for (_, side) in &sides {
                case.timed(*side, inputs, client, Part::Round(round));
            }
        }
        let mut times = vec![Vec::with_capacity(ROUNDS); sides.len()];
        for round in 0..ROUNDS {
            // Each round starts with another side, so that none always runs first.
            for turn in 0..sides.len() {
                let at = (round + turn) % sides.len();
                let time = case.timed(sides[at].1, inputs, client, Part::Round(round));
                times[at].push(time.as_secs_f64());
            }
        }
        let ratios_to = |baseline: usize| -> Vec<f64> {
            times[0]
                .iter()
                .zip(&times[baseline])
                .map(|(t, b)| t / b)
                .collect()
        };
        let mut to_hand = ratios_to(1);
        let mut to_prepared = (sides.len() > 2).then(|| ratios_to(2));
        let mut median_ms = |side: usize| -> String {
            times
                .get_mut(side)
                .map_or("".into(), |t| format!("{:.2} ms", quantile(t, 0.5) * 1e3))
        };
        println!(
            "| {} | {} | {} | {:.3} | {:.3} to {:.3} | {} | {} |",
            case.name,
            median_ms(0),
            median_ms(1),
            quantile(&mut to_hand, 0.5),
            quantile(&mut to_hand, 0.25),
            quantile(&mut to_hand, 0.75),
            median_ms(2),
            to_prepared
                .as_mut()
                .map_or("".into(), |r| format!("{:.3}", quantile(r, 0.5))),
        );
    }
}

fn main() {
    let Ok(server) = std::env::var(SERVER_VARIABLE) else {
        eprintln!(
            "pg_rows: SKIPPED, nothing measured: set {SERVER_VARIABLE} to a PostgreSQL server's \
             connection string, e.g.\n  {SERVER_VARIABLE}='host=localhost user=postgres' \
             cargo bench -p wrkflw-bench --bench pg_rows"
        );
        return;
    };
    let server = Config::from_str(&server)
        .unwrap_or_else(|error| panic!("{SERVER_VARIABLE} is not a connection string: {error}"));
    let db = pg::PgDb::create_on(server, "wrkflw_bench");
    let mut client = db.client();
    // A commit's wait for the disk is the same on both sides and, on a shared disk, the
    // noisiest part of an insert: without it the rounds measure the client's work and the
    // server's, which is where the two sides can differ.
    client
        .batch_execute("SET synchronous_commit = off")
        .unwrap();
    create_table(&mut client);
    let inputs = Inputs::new();

    let mut criterion = Criterion::default().configure_from_args();
    criterion_cases(&mut criterion, &mut client, &inputs);
    criterion.final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and runs each
    // benchmark once as a test: no ratios then.
    if std::env::args().any(|arg| arg == "--bench") {
        ratios(&mut client, &inputs);
    }
}
