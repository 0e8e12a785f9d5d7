// A valid struct: an index over the fields `conn` and `kind`. The finder takes the
// connection as `conn` and the index values under the fields' names, so `conn` is bound
// twice and the generated code does not compile.
use wrkflw::wrkflw_table;

#[wrkflw_table(index(conn, kind))]
pub struct Link {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub conn: String,
    pub kind: String,
}

fn main() {}
