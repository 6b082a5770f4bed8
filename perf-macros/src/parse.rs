//! Syntax of the attribute's arguments: a comma-separated list of `key`, `key = value` and
//! `key OP value` items. Only the shape is checked here; what the keys mean is `check`'s job.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

/// Every item of `#[perf_test(...)]`, in source order.
pub struct AttrArgs {
    pub items: Vec<Item>,
}

/// One `key`, `key = value` or `key OP value` item; a threshold's key may carry a scope,
/// `key(args) OP value`.
pub struct Item {
    pub key: Ident,
    /// `p95("read")`, `p99(op = "read", stage = "spike")`: checked by `check`.
    pub scope: Option<Scope>,
    /// `None` for a bare key, which `check` rejects with a message naming the key.
    pub op: Option<AttrOp>,
    pub value: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// An operator with its tokens, kept so that errors can point at it.
pub struct AttrOp {
    pub kind: OpKind,
    pub tokens: TokenStream,
}

impl ToTokens for AttrOp {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.tokens.clone());
    }
}

/// The parenthesised part of `key(..)`, with its tokens for error spans.
pub struct Scope {
    pub args: Vec<ScopeArg>,
    pub tokens: TokenStream,
}

/// One argument of a scope: `"read"` or `op = "read"`.
pub struct ScopeArg {
    pub name: Option<Ident>,
    pub value: Expr,
}

impl Parse for ScopeArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident::peek_any) && input.peek2(Token![=]) {
            let name = Ident::parse_any(input)?;
            let _: Token![=] = input.parse()?;
            let value: Expr = input.parse()?;
            return Ok(ScopeArg {
                name: Some(name),
                value,
            });
        }
        Ok(ScopeArg {
            name: None,
            value: input.parse()?,
        })
    }
}

impl ToTokens for Scope {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.tokens.clone());
    }
}

impl Parse for AttrArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let items = Punctuated::<Item, Token![,]>::parse_terminated(input)?;
        Ok(AttrArgs {
            items: items.into_iter().collect(),
        })
    }
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `parse_any` so that the keyword `crate` is accepted as a key.
        let key = Ident::parse_any(input)?;
        let scope = if input.peek(syn::token::Paren) {
            let group: proc_macro2::Group = input.parse()?;
            let tokens = group.to_token_stream();
            let args = syn::parse::Parser::parse2(
                Punctuated::<ScopeArg, Token![,]>::parse_terminated,
                group.stream(),
            )?;
            Some(Scope {
                args: args.into_iter().collect(),
                tokens,
            })
        } else {
            None
        };
        if input.is_empty() || input.peek(Token![,]) {
            return Ok(Item {
                key,
                scope,
                op: None,
                value: None,
            });
        }
        let op = parse_op(input, &key)?;
        let value: Expr = input.parse()?;
        Ok(Item {
            key,
            scope,
            op: Some(op),
            value: Some(value),
        })
    }
}

/// Two-character operators first: `<=` arrives as a joint `<` followed by `=`, and peeking
/// `<` alone would split it.
fn parse_op(input: ParseStream, key: &Ident) -> syn::Result<AttrOp> {
    macro_rules! take {
        ($tok:tt, $kind:expr) => {
            if input.peek(Token![$tok]) {
                let t: Token![$tok] = input.parse()?;
                return Ok(AttrOp {
                    kind: $kind,
                    tokens: t.into_token_stream(),
                });
            }
        };
    }
    if input.peek(Token![==]) {
        let t: Token![==] = input.parse()?;
        return Err(syn::Error::new_spanned(
            t,
            "`==` is not an operator of #[perf_test]; use `=` for settings \
             (name = \"..\") and `<`, `<=`, `>` or `>=` for thresholds",
        ));
    }
    take!(<=, OpKind::Le);
    take!(>=, OpKind::Ge);
    take!(<, OpKind::Lt);
    take!(>, OpKind::Gt);
    take!(=, OpKind::Eq);
    Err(input.error(format!(
        "expected `=`, `<`, `<=`, `>` or `>=` after `{key}`"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> AttrArgs {
        syn::parse_str(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn ops(src: &str) -> Vec<Option<OpKind>> {
        parse(src)
            .items
            .iter()
            .map(|i| i.op.as_ref().map(|o| o.kind))
            .collect()
    }

    #[test]
    fn comparison_followed_by_a_literal_is_key_op_value() {
        let args = parse(r#"p99 < "20ms""#);
        assert_eq!(args.items.len(), 1);
        assert_eq!(args.items[0].key, "p99");
        assert_eq!(args.items[0].op.as_ref().unwrap().kind, OpKind::Lt);
        let value = args.items[0].value.as_ref().unwrap();
        assert_eq!(value.to_token_stream().to_string(), "\"20ms\"");
    }

    #[test]
    fn adjacent_two_character_operators_are_single_tokens() {
        assert_eq!(
            ops(r#"p99<="1ms", throughput>=5, mean<"1ms", max>"1ns", name="x""#),
            vec![
                Some(OpKind::Le),
                Some(OpKind::Ge),
                Some(OpKind::Lt),
                Some(OpKind::Gt),
                Some(OpKind::Eq)
            ]
        );
    }

    #[test]
    fn keywords_bare_keys_and_trailing_commas_parse() {
        let args = parse("crate = cargo_perf, slow, args = [1, 2],");
        let keys: Vec<String> = args.items.iter().map(|i| i.key.to_string()).collect();
        assert_eq!(keys, ["crate", "slow", "args"]);
        assert!(args.items[1].op.is_none());
    }

    #[test]
    fn scopes_parse_positional_and_named_arguments() {
        let args =
            parse(r#"p95("read") < "5ms", p99(op = "read", stage = "spike") < "1ms", cpu < 150"#);
        let s = args.items[0].scope.as_ref().unwrap();
        assert_eq!(s.args.len(), 1);
        assert!(s.args[0].name.is_none());
        let s = args.items[1].scope.as_ref().unwrap();
        let names: Vec<String> = s
            .args
            .iter()
            .map(|a| a.name.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(names, ["op", "stage"]);
        assert!(args.items[2].scope.is_none());
    }

    #[test]
    fn double_equals_and_missing_operators_are_errors() {
        let err = syn::parse_str::<AttrArgs>("p99 == \"1ms\"").err().unwrap();
        assert!(err.to_string().contains("`==`"), "{err}");
        let err = syn::parse_str::<AttrArgs>("p99 \"1ms\"").err().unwrap();
        assert!(err.to_string().contains("after `p99`"), "{err}");
    }
}
