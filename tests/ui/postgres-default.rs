use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: i64,
    // Alone it would give the column a default on PostgreSQL only.
    #[wrkflw(postgres_default = "0")]
    attempts: i64,
    #[wrkflw(default = "0", postgres_default = 0)]
    retries: i64,
    #[wrkflw(default = "0", postgres_default = "0); DROP TABLE users; --")]
    sneaky: i64,
    #[wrkflw(default = "0", postgres_default = "")]
    empty: i64,
    #[wrkflw(default = "0", postgres_default = "1", postgres_default = "2")]
    twice: i64,
    #[wrkflw(default = "0", postgres_defualt = "1")]
    misspelt: i64,
}

fn main() {
    let _ = Run { id: 0, attempts: 0, retries: 0, sneaky: 0, empty: 0, twice: 0, misspelt: 0 };
}
