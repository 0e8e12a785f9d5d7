// SQLite stores `bool` and integers alike; PostgreSQL cannot compare BOOLEAN with BIGINT.
use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: i64,
}

#[wrkflw_table]
struct Flag {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(references = Run)]
    run: bool,
}

fn main() {}
