// The tests crate builds wrkflw with `postgres`, so the PostgreSQL statements are generated
// and a SQLite default without a PostgreSQL translation is an error on its literal.
use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(default = "random()")]
    lucky: i64,
    #[wrkflw(default = "300")]
    byte: u8,
    #[wrkflw(default = "unixepoch()")]
    small: Option<i16>,
    #[wrkflw(default = "CURRENT_TIMESTAMP")]
    stamped: i64,
    // Given for PostgreSQL by hand: fine.
    #[wrkflw(default = "abs(random())", postgres_default = "floor(random() * 1e9)::bigint")]
    seed: i64,
}

fn main() {
    let _ = Run { id: 0, lucky: 0, byte: 0, small: None, stamped: 0, seed: 0 };
}
