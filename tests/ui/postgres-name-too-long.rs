// PostgreSQL cuts names at 63 bytes; SQLite takes them.
use wrkflw::wrkflw_table;

#[wrkflw_table(name = "a_table_name_that_is_just_long_enough_to_pass_on_its_own_0", prefix = "")]
struct Long {
    #[wrkflw(primary_key)]
    id: i64,
    #[wrkflw(index)]
    status: String,
    a_column_name_of_sixty_four_bytes_which_postgres_would_cut_short: i64,
}

#[wrkflw_table(name = "a_table_name_that_is_far_too_long_for_postgres_which_cuts_it_at_63")]
struct Longer {
    #[wrkflw(primary_key)]
    id: i64,
}

fn main() {}
