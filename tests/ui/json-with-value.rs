use wrkflw::wrkflw_table;

#[wrkflw_table]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
    #[wrkflw(json = true)]
    state: Vec<i64>,
    #[wrkflw(json = "pretty")]
    input: Vec<i64>,
}

fn main() {
    let _ = Run { id: String::new(), state: Vec::new(), input: Vec::new() };
}
