// A valid struct: a composite key (run_id, n) and an index on `n` alone, which the key's
// "`n` is the primary key, which SQLite already indexes", which is not true.
use wrkflw::wrkflw_table;

#[wrkflw_table]
pub struct Step {
    #[wrkflw(primary_key)]
    pub run_id: String,
    #[wrkflw(primary_key, index)]
    pub n: i64,
}

fn main() {}
