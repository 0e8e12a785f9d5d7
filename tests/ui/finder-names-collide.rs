use wrkflw::wrkflw_table;

#[wrkflw_table(index(a_and, b), index(a, and_b))]
pub struct Pair {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub a: i64,
    pub a_and: i64,
    pub b: i64,
    pub and_b: i64,
}

#[wrkflw_table(unique(queue, name))]
pub struct Job {
    #[wrkflw(primary_key)]
    pub id: i64,
    pub queue: String,
    pub name: String,
    #[wrkflw(unique)]
    pub queue_name: String,
}

fn main() {}
