use wrkflw::wrkflw_table;

// An index (and find_by_tags) would compare JSON text, not values.
#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
    #[wrkflw(json, index)]
    tags: Vec<String>,
}

fn main() {
    let _ = Run { id: String::new(), tags: Vec::new() };
}
