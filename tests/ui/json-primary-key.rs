use wrkflw::wrkflw_table;

// A key must be a plain SQL value; JSON text is only read by serde.
#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key, json)]
    id: Vec<String>,
}

fn main() {
    let _ = Run { id: Vec::new() };
}
