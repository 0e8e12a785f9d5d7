use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
    #[wrkflw(json, json)]
    state: Vec<i64>,
    #[wrkflw(json)]
    #[wrkflw(json)]
    tags: Vec<String>,
}

fn main() {
    let _ = Run { id: String::new(), state: Vec::new(), tags: Vec::new() };
}
