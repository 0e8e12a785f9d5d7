//! Reads `key = "value", flag` attribute arguments into spanned pieces.
//!
//! syn's `parse_nested_meta` stops at the first error; splitting the arguments ourselves lets a
//! bad key or value be reported and the next argument still be read, so a user sees every
//! mistake of an attribute in one compile.

use proc_macro2::{Delimiter, Group, Ident, TokenStream, TokenTree};
use syn::LitStr;

use crate::errors::Errors;

/// One `key` or `key = value` argument of an attribute.
pub(crate) struct Arg {
    pub(crate) key: Ident,
    /// The tokens after `=`, or `None` for a bare flag or a list.
    pub(crate) value: Option<TokenStream>,
    /// The parenthesised list of `key(a, b)`.
    pub(crate) list: Option<Group>,
}

/// A key an attribute accepts, with the form that `help` messages show.
pub(crate) struct KeySpec {
    pub(crate) name: &'static str,
    pub(crate) form: &'static str,
}

/// Splits attribute arguments at top-level commas. Malformed pieces are reported and skipped.
pub(crate) fn split(tokens: TokenStream, errors: &mut Errors) -> Vec<Arg> {
    let mut args = Vec::new();
    let mut piece = Vec::new();
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                args.extend(read_piece(std::mem::take(&mut piece), errors));
            }
            _ => piece.push(token),
        }
    }
    args.extend(read_piece(piece, errors));
    args
}

fn read_piece(piece: Vec<TokenTree>, errors: &mut Errors) -> Option<Arg> {
    let mut tokens = piece.into_iter();
    let key = match tokens.next()? {
        TokenTree::Ident(key) => key,
        other => {
            let rest: TokenStream = std::iter::once(other).chain(tokens).collect();
            errors.spanned(rest, "expected a key such as `name = \"...\"`");
            return None;
        }
    };
    let rest: Vec<TokenTree> = tokens.collect();
    match rest.first() {
        None => Some(Arg {
            key,
            value: None,
            list: None,
        }),
        Some(TokenTree::Group(group))
            if group.delimiter() == Delimiter::Parenthesis && rest.len() == 1 =>
        {
            Some(Arg {
                key,
                value: None,
                list: Some(group.clone()),
            })
        }
        Some(TokenTree::Punct(p)) if p.as_char() == '=' => {
            let value: TokenStream = rest[1..].iter().cloned().collect();
            if value.is_empty() {
                errors.spanned(p, format!("expected a value after `{key} =`"));
                return None;
            }
            Some(Arg {
                key,
                value: Some(value),
                list: None,
            })
        }
        Some(_) => {
            let rest: TokenStream = rest.into_iter().collect();
            errors.spanned(
                rest,
                format!("expected `,` or `= \"...\"` after `{key}`; arguments are `key = \"value\"` or a bare flag"),
            );
            None
        }
    }
}

impl Arg {
    /// The string literal of `key = "..."`. Anything else is reported with the correct form.
    pub(crate) fn string(&self, spec: &KeySpec, errors: &mut Errors) -> Option<LitStr> {
        let value = self.value(spec, errors)?;
        match syn::parse2::<LitStr>(value.clone()) {
            Ok(lit) => Some(lit),
            Err(_) => {
                errors.spanned(
                    value,
                    format!(
                        "`{}` takes a string literal\nhelp: {}",
                        self.key,
                        quoted_suggestion(&self.key, value, spec)
                    ),
                );
                None
            }
        }
    }

    /// A bare flag such as `primary_key`. A value given to it is reported.
    pub(crate) fn flag(&self, spec: &KeySpec, errors: &mut Errors) -> bool {
        if self.list_given(spec, errors) {
            return false;
        }
        match &self.value {
            None => true,
            Some(value) => {
                errors.spanned(
                    value,
                    format!(
                        "`{}` takes no value\nhelp: the correct form is `{}`",
                        self.key, spec.form
                    ),
                );
                false
            }
        }
    }
}

impl Arg {
    /// The tokens after `=`; a missing value, or a list given instead, is reported.
    fn value(&self, spec: &KeySpec, errors: &mut Errors) -> Option<&TokenStream> {
        if self.list_given(spec, errors) {
            return None;
        }
        if self.value.is_none() {
            errors.spanned(
                &self.key,
                format!(
                    "`{}` needs a value\nhelp: the correct form is `{}`",
                    self.key, spec.form
                ),
            );
        }
        self.value.as_ref()
    }

    /// Reports `key(...)` on a key that takes no list.
    fn list_given(&self, spec: &KeySpec, errors: &mut Errors) -> bool {
        if let Some(list) = &self.list {
            let key = self.key.to_string();
            let help = if key == "index" || key == "unique" {
                format!("an index over several columns goes on the struct: `#[wrkflw_table({key}(a, b))]`; on a field the form is `{}`", spec.form)
            } else {
                format!("the correct form is `{}`", spec.form)
            };
            errors.spanned(list, format!("`{key}` takes no list\nhelp: {help}"));
        }
        self.list.is_some()
    }

    /// The items of `key(a, b)`, split at commas. A missing list is reported.
    pub(crate) fn list_items(
        &self,
        spec: &KeySpec,
        errors: &mut Errors,
    ) -> Option<Vec<TokenStream>> {
        let Some(list) = &self.list else {
            let at: TokenStream = match &self.value {
                Some(value) => value.clone(),
                None => TokenTree::Ident(self.key.clone()).into(),
            };
            errors.spanned(
                at,
                format!(
                    "`{}` takes a list in parentheses\nhelp: the correct form is `{}`",
                    self.key, spec.form
                ),
            );
            return None;
        };
        let mut items = Vec::new();
        let mut item = TokenStream::new();
        for token in list.stream() {
            match &token {
                TokenTree::Punct(p) if p.as_char() == ',' => {
                    items.push(std::mem::take(&mut item));
                }
                _ => item.extend([token]),
            }
        }
        if !item.is_empty() {
            items.push(item);
        }
        if items.is_empty() || items.iter().any(TokenStream::is_empty) {
            errors.spanned(
                list,
                format!(
                    "`{}` needs one or more items separated by commas\nhelp: the correct form is `{}`",
                    self.key, spec.form
                ),
            );
            return None;
        }
        Some(items)
    }

    /// A `key = Path` value, such as `references = WorkflowRun`.
    pub(crate) fn path(&self, spec: &KeySpec, errors: &mut Errors) -> Option<syn::Path> {
        let value = self.value(spec, errors)?;
        match syn::parse2::<syn::Path>(value.clone()) {
            Ok(path) => Some(path),
            Err(_) => {
                errors.spanned(
                    value,
                    format!(
                        "`{}` takes the name of a #[wrkflw_table] struct, not a string\nhelp: the correct form is `{}`",
                        self.key, spec.form
                    ),
                );
                None
            }
        }
    }
}

/// For a single bare token (`rename_from = runs`, `default = 0`) the fix is to quote it; for
/// anything longer, show the documented form.
fn quoted_suggestion(key: &Ident, value: &TokenStream, spec: &KeySpec) -> String {
    let mut tokens = value.clone().into_iter();
    match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Ident(word)), None) => format!("write `{key} = \"{word}\"`"),
        (Some(TokenTree::Literal(lit)), None) => format!("write `{key} = \"{lit}\"`"),
        _ => format!("the correct form is `{}`", spec.form),
    }
}

/// Reports a key that `specs` does not contain, naming the valid keys and the nearest one.
pub(crate) fn unknown_key(key: &Ident, attribute: &str, specs: &[KeySpec], errors: &mut Errors) {
    let name = key.to_string();
    let valid: Vec<String> = specs.iter().map(|s| format!("`{}`", s.name)).collect();
    let hint = specs
        .iter()
        .map(|s| (edit_distance(&name, s.name), s.name))
        .filter(|(distance, candidate)| *distance <= candidate.len().max(name.len()) / 3 + 1)
        .min()
        .map(|(_, candidate)| format!("\nhelp: did you mean `{candidate}`?"))
        .unwrap_or_default();
    errors.spanned(
        key,
        format!(
            "unknown key `{name}` in {attribute}; valid keys are {}{hint}",
            valid.join(", ")
        ),
    );
}

/// A one-value slot that reports a key given twice, on the second occurrence.
pub(crate) struct Once<T> {
    value: Option<T>,
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Once { value: None }
    }
}

impl<T> Once<T> {
    pub(crate) fn set(&mut self, key: &Ident, value: Option<T>, errors: &mut Errors) {
        if self.value.is_some() {
            errors.spanned(key, format!("duplicate key `{key}`; give it once"));
        } else {
            self.value = value;
        }
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// Levenshtein distance, for "did you mean" hints on short attribute keys.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("rename_form", "rename_from"), 2);
        assert_eq!(edit_distance("prefx", "prefix"), 1);
        assert_eq!(edit_distance("", "name"), 4);
        assert_eq!(edit_distance("index", "index"), 0);
    }

    #[test]
    fn split_reads_flags_values_and_reports_malformed_pieces() {
        let mut errors = Errors::default();
        let args = split(
            quote!(primary_key, default = "1", oops 2, index, list(a, b)),
            &mut errors,
        );
        let keys: Vec<String> = args.iter().map(|a| a.key.to_string()).collect();
        assert_eq!(keys, ["primary_key", "default", "index", "list"]);
        assert_eq!(args[3].list.as_ref().unwrap().stream().to_string(), "a , b");
        assert!(args[0].value.is_none());
        assert_eq!(args[1].value.as_ref().unwrap().to_string(), "\"1\"");
        let message = errors.finish().unwrap_err().to_string();
        assert!(message.contains("after `oops`"), "{message}");
    }
}
