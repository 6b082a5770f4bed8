//! Which functions can be perf tests: `fn f(b: &mut Bencher)`, `fn f(load: &mut LoadTest)`,
//! each optionally with a second parameter fed by `args = [..]`; nothing async, generic,
//! unsafe, method-like or value-returning, because the registry stores plain `fn` pointers.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{FnArg, ItemFn, ReturnType, Type};

use crate::errors::Errors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bench,
    Load,
}

impl Kind {
    /// The parameter type that selects this kind.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Bench => "Bencher",
            Kind::Load => "LoadTest",
        }
    }
}

pub struct Shape {
    /// `None` when the first parameter is missing or of the wrong type (already reported).
    pub kind: Option<Kind>,
    /// The parameter that receives `args = [..]`.
    pub arg_param: Option<FnArg>,
}

const EXPECTED: &str = "`&mut Bencher` (a benchmark) or `&mut LoadTest` (a load test)";

pub fn check_shape(func: &ItemFn, errors: &mut Errors) -> Shape {
    let sig = &func.sig;
    if let Some(t) = &sig.asyncness {
        errors.spanned(
            t,
            "a perf test cannot be `async`; take `b: &mut Bencher` and use `b.iter_async(..)`, \
             or `load: &mut LoadTest` and `load.run(|ctx| async { .. })`",
        );
    }
    if let Some(t) = &sig.unsafety {
        errors.spanned(
            t,
            "a perf test cannot be an `unsafe fn`; use an `unsafe` block inside it",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi, "a perf test cannot have an `extern` ABI; remove it");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            "a perf test cannot be generic; write one function per type \
             (or pass values through `args = [..]`)",
        );
    }
    if let Some(v) = &sig.variadic {
        errors.spanned(v, "a perf test cannot be variadic");
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if !matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()) {
            errors.spanned(
                ty,
                "a perf test returns `()`; return nothing, and use `black_box(..)` inside \
                 `b.iter(..)` to keep a result alive",
            );
        }
    }
    if let Some(self_ty) = find_self_type(sig.inputs.to_token_stream()) {
        errors.spanned(
            self_ty,
            "a perf test is a free function: `Self` means it sits in an `impl` block; \
             move it out to module level",
        );
    }

    let params: Vec<&FnArg> = sig.inputs.iter().collect();
    let mut kind = None;
    match params.first() {
        None => errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!(
                "a perf test takes {EXPECTED}, like `fn {}(b: &mut Bencher)`",
                sig.ident
            ),
        )),
        Some(FnArg::Receiver(r)) => errors.spanned(
            r,
            "a perf test is a free function, not a method; move it out of the `impl` block \
             and take `b: &mut Bencher` or `load: &mut LoadTest`",
        ),
        Some(FnArg::Typed(pat)) => match kind_of(&pat.ty) {
            Ok(k) => kind = Some(k),
            Err(msg) => errors.spanned(&pat.ty, msg),
        },
    }
    if let Some(FnArg::Receiver(r)) = params.get(1) {
        errors.spanned(r, "`self` cannot be a perf test's parameter");
    }
    for extra in params.iter().skip(2) {
        errors.spanned(
            extra,
            "a perf test takes at most two parameters: the `&mut Bencher` or \
             `&mut LoadTest`, and one value from `args = [..]`",
        );
    }
    Shape {
        kind,
        arg_param: params.get(1).map(|p| (*p).clone()),
    }
}

/// `&mut Bencher` or `&mut LoadTest`, by the last path segment so that any import style
/// (`cargo_perf::Bencher`, a renamed re-export's path) works.
fn kind_of(ty: &Type) -> Result<Kind, String> {
    let (mutable, elem) = match ty {
        Type::Reference(r) => (r.mutability.is_some(), &*r.elem),
        other => (false, other),
    };
    let named = match elem {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .filter(|s| s.arguments.is_none())
            .and_then(|s| match s.ident.to_string().as_str() {
                "Bencher" => Some(Kind::Bench),
                "LoadTest" => Some(Kind::Load),
                _ => None,
            }),
        _ => None,
    };
    match named {
        Some(kind) if mutable => Ok(kind),
        Some(kind) => Err(format!(
            "take the `{0}` by mutable reference: `&mut {0}`",
            kind.type_name()
        )),
        None => Err(format!("the first parameter must be {EXPECTED}")),
    }
}

/// The first `Self` token, to catch associated functions that take no `self`.
fn find_self_type(tokens: TokenStream) -> Option<TokenTree> {
    tokens.into_iter().find_map(|tt| match &tt {
        TokenTree::Ident(i) if i == "Self" => Some(tt),
        TokenTree::Group(g) => find_self_type(g.stream()),
        _ => None,
    })
}
