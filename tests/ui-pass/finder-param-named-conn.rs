// A valid struct: an index over the fields `conn` and `kind`. The finder takes the
// connection as `conn`, so the value of the field `conn` is `conn_value`.
use wrkflw::wrkflw_table;

#[wrkflw_table(index(conn, kind))]
pub struct Link {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub conn: String,
    pub kind: String,
}

fn main() {
    let conn = wrkflw::rusqlite::Connection::open_in_memory().unwrap();
    let _ = Link::find_by_conn_and_kind(&conn, "c", "k");
}
