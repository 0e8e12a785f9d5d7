use std::collections::HashMap;

use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: i64,
    count: u64,
    name: &'static str,
    tags: HashMap<String, String>,
    maybe: Option<Option<i64>>,
    numbers: Vec<u16>,
}

fn main() {
    let _ = Run { id: 0, count: 0, name: "", tags: HashMap::new(), maybe: None, numbers: Vec::new() };
}
