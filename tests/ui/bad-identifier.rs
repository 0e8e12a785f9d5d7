use wrkflw::wrkflw_table;

#[wrkflw_table(rename_from = "runs; DROP TABLE users")]
struct Injected {
    #[wrkflw(primary_key)]
    id: String,
}

#[wrkflw_table(prefix = "my prefix")]
struct Spaced {
    #[wrkflw(primary_key)]
    id: String,
}

#[wrkflw_table(prefix = "my-")]
struct Dashed {
    #[wrkflw(primary_key)]
    id: String,
}

#[wrkflw_table(name = "9lives")]
struct Digit {
    #[wrkflw(primary_key)]
    id: String,
}

fn main() {
    let _ = (Injected { id: String::new() }, Spaced { id: String::new() });
    let _ = (Dashed { id: String::new() }, Digit { id: String::new() });
}
