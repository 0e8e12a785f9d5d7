use wrkflw::wrkflw_table;

// SQL NULL is the outer None; JSON null would need the inner one.
#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
    #[wrkflw(json)]
    result: Option<Option<Vec<i64>>>,
}

fn main() {
    let _ = Run { id: String::new(), result: None };
}
