// Two different indexes, (a_and, b) and (a, and_b), whose finders are both
// `find_by_a_and_and_b` and whose indexes are both `idx_wrkflw_pair_a_and_and_b`: the
// generated impl defines the method and constant twice. Either the macro reports it on the
// second list, or the names must not collide.
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

fn main() {}
