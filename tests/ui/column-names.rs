use wrkflw::wrkflw_table;

#[wrkflw_table]
#[allow(non_snake_case)]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
    Id: String,
    sqlite_rowid: i64,
}

#[wrkflw_table]
struct Empty {}

fn main() {
    let _ = Run { id: String::new(), Id: String::new(), sqlite_rowid: 0 };
    let _ = Empty {};
}
