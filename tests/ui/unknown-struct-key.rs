use wrkflw::{wrkflw_table, Table};

#[wrkflw_table(rename_form = "runs", colour = "blue")]
struct Run {
    #[wrkflw(primary_key)]
    id: String,
}

fn main() {
    let _ = Run { id: String::new() };
    let _ = Run::TABLE_NAME;
}
