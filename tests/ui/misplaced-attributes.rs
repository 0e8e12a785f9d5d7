use wrkflw::wrkflw_table;

#[wrkflw_table]
#[wrkflw(primary_key)]
struct Run {
    #[wrkflw(primary_key, index)]
    id: String,
    #[wrkflw = "index"]
    status: String,
    #[wrkflw(index(status))]
    step: String,
}

#[wrkflw_table]
fn not_a_struct() {}

fn main() {
    let _ = Run { id: String::new(), status: String::new(), step: String::new() };
    not_a_struct();
}
