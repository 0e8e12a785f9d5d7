use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Six {
    #[wrkflw(primary_key)]
    a: i64,
    #[wrkflw(primary_key)]
    b: i64,
    #[wrkflw(primary_key)]
    c: i64,
    #[wrkflw(primary_key)]
    d: i64,
    #[wrkflw(primary_key)]
    e: i64,
    #[wrkflw(primary_key)]
    f: i64,
}

fn main() {}
