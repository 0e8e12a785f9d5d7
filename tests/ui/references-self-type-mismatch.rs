use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Node {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(references = Self)]
    parent: Option<String>,
}

fn main() {}
