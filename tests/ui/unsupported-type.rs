use std::collections::HashMap;

use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    count: u64,
    name: &'static str,
    tags: HashMap<String, String>,
    maybe: Option<Option<i64>>,
    numbers: Vec<u16>,
}

fn main() {
    let _ = Run { count: 0, name: "", tags: HashMap::new(), maybe: None, numbers: Vec::new() };
}
