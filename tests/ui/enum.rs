#[wrkflw::wrkflw_table]
enum Status {
    Pending,
    Done {
        #[wrkflw(index)]
        at: i64,
    },
}

fn main() {
    let _ = Status::Pending;
}
