//! The order tables of one migrator run in, on either engine: each after the tables its
//! `references` columns name, so that their rows are there when its rows are copied;
//! otherwise as added.

use crate::{Column, Error, Result};

/// The tables' positions in the order they run. `tables` holds each table's name and
/// columns, in the order added. Tables that reference each other in a cycle are
/// [`Error::ForeignKeyCycle`].
pub(crate) fn by_references(tables: &[(&'static str, &'static [Column])]) -> Result<Vec<usize>> {
    let n = tables.len();
    // needs[i]: the tables i references, other than itself.
    let needs: Vec<Vec<usize>> = tables
        .iter()
        .enumerate()
        .map(|(i, (_, columns))| {
            (0..n)
                .filter(|&j| {
                    j != i
                        && columns.iter().any(|c| {
                            c.references
                                .is_some_and(|fk| fk.table.eq_ignore_ascii_case(tables[j].0))
                        })
                })
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut placed = vec![false; n];
    while order.len() < n {
        let next = (0..n).find(|&i| !placed[i] && needs[i].iter().all(|&j| placed[j]));
        match next {
            Some(i) => {
                placed[i] = true;
                order.push(i);
            }
            None => {
                return Err(Error::ForeignKeyCycle {
                    tables: cycle(tables, &needs, &placed),
                })
            }
        }
    }
    Ok(order)
}

/// A cycle among the tables not placed yet: follow references until one repeats.
fn cycle(
    tables: &[(&'static str, &'static [Column])],
    needs: &[Vec<usize>],
    placed: &[bool],
) -> Vec<String> {
    let mut path: Vec<usize> = Vec::new();
    let mut at = (0..needs.len()).find(|&i| !placed[i]).unwrap_or(0);
    while !path.contains(&at) {
        path.push(at);
        at = needs[at]
            .iter()
            .copied()
            .find(|&j| !placed[j])
            .unwrap_or(at);
    }
    let start = path.iter().position(|&i| i == at).unwrap_or(0);
    path[start..]
        .iter()
        .map(|&i| tables[i].0.to_owned())
        .collect()
}

/// Puts results produced in run order back in the order the tables were added.
pub(crate) fn in_added_order<R>(results: Vec<R>, added_at: &[usize]) -> Vec<R> {
    let mut slots: Vec<Option<R>> = (0..results.len()).map(|_| None).collect();
    for (result, &at) in results.into_iter().zip(added_at) {
        slots[at] = Some(result);
    }
    slots.into_iter().flatten().collect()
}
