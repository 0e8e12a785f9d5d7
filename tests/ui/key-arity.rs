use wrkflw::{wrkflw_table, Table};

#[wrkflw_table]
struct Step {
    #[wrkflw(primary_key)]
    run_id: String,
    #[wrkflw(primary_key)]
    step_id: i64,
}

fn main() {
    let conn = wrkflw::rusqlite::Connection::open_in_memory().unwrap();
    let _ = Step::get(&conn, "r1");
}
