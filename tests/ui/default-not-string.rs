use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(default = 0)]
    attempts: i64,
    #[wrkflw(default = unixepoch())]
    created_at: Option<i64>,
    #[wrkflw(default)]
    updated_at: Option<i64>,
    #[wrkflw(default = "0); DROP TABLE users; --")]
    sneaky: i64,
}

fn main() {
    let _ = Run { id: 0, attempts: 0, created_at: None, updated_at: None, sneaky: 0 };
}
