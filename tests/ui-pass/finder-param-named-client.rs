// A valid struct: an index over the fields `client`, `kind` and `conn`. The PostgreSQL finder
// takes the client as `client`, so the value of the field `client` is `client_value` there
// (and `conn` keeps its name); on SQLite it is the other way round.
use wrkflw::postgres::driver::Client;
use wrkflw::wrkflw_table;

#[wrkflw_table(index(client, kind, conn))]
pub struct Link {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub client: String,
    pub kind: Option<String>,
    pub conn: u16,
}

fn find(client: &mut Client, sqlite: &wrkflw::rusqlite::Connection) {
    let _ = Link::pg_find_by_client_and_kind_and_conn(client, "c", None, 3u16);
    let _ = Link::pg_find_by_client_and_kind_and_conn(client, "c", "k", 3);
    let _ = Link::find_by_client_and_kind_and_conn(sqlite, "c", "k", 3);
}

fn main() {
    let _ = find;
}
