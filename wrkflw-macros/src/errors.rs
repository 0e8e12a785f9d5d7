//! An accumulator for compile errors, so that one expansion reports every mistake it finds
//! instead of stopping at the first.

use std::fmt::Display;

use quote::ToTokens;

/// Errors collected while reading and checking one `#[wrkflw_table]` item.
#[derive(Default)]
pub(crate) struct Errors {
    list: Vec<syn::Error>,
}

impl Errors {
    /// Records an error spanned on `tokens` (from their first to their last token).
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.list.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error at one span, for a token that is more readily a span than `ToTokens`.
    pub(crate) fn at(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.list.push(syn::Error::new(span, message));
    }

    /// How many errors are recorded so far.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// All recorded errors merged into one, or `Ok` when there were none.
    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        let mut list = self.list.into_iter();
        match list.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(list);
                Err(first)
            }
        }
    }
}
