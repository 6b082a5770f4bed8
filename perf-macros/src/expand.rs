//! Code generation: the user's function, unchanged but for `#[ignore]`, followed by its
//! `Entry` in `cargo_perf::__private::PERF_TESTS`. Generated code only names `__private`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::ItemFn;

use crate::check::{self, Kind, LimitFigure, Spec};
use crate::parse::AttrArgs;

/// The whole attribute: on any error, the errors plus the user's function, so that one
/// mistake does not cascade into "cannot find function" errors at its call sites.
pub fn perf_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new_spanned(
                &item,
                "#[perf_test] goes on a function, like `fn name(b: &mut Bencher) { .. }`",
            );
            let err = err.to_compile_error();
            return quote!(#err #item);
        }
    };
    let ignore = check::take_ignore(&mut func);
    let spec = syn::parse2::<AttrArgs>(attr).and_then(|args| check::check(args, &func));
    match spec {
        Ok(spec) => {
            let entry = registration(&func, &spec, ignore);
            quote!(#func #entry)
        }
        Err(err) => {
            let err = err.to_compile_error();
            quote!(#err #func)
        }
    }
}

fn registration(func: &ItemFn, spec: &Spec, ignore: bool) -> TokenStream {
    let krate = match &spec.krate {
        Some(path) => quote!(#path),
        None => quote!(::cargo_perf),
    };
    let private = quote!(#krate::__private);
    let ident = &func.sig.ident;
    let static_name = format_ident!("__PERF_TEST_{}", ident.unraw().to_string().to_uppercase());
    let fn_name = ident.unraw().to_string();
    let name = option(spec.name.as_ref().map(|n| quote!(#n)));
    let tags = &spec.tags;
    let labels = spec.args.iter().map(|a| &a.label);
    let thresholds = spec.thresholds.iter().map(|t| {
        let key = format_ident!("{}", format!("{:?}", t.key));
        let op = format_ident!("{}", format!("{:?}", t.op));
        let value = Literal::f64_unsuffixed(t.value);
        quote! {
            #private::Threshold { key: #private::Key::#key, op: #private::Op::#op, value: #value }
        }
    });
    let limits = spec.limits.iter().map(|l| {
        let figure = match l.figure {
            LimitFigure::Scoped(k) => {
                let key = format_ident!("{}", format!("{:?}", k));
                quote!(#private::Figure::Scoped(#private::Key::#key))
            }
            LimitFigure::RecoveryTime => quote!(#private::Figure::RecoveryTime),
            LimitFigure::Metric => quote!(#private::Figure::Metric),
            LimitFigure::Cpu => quote!(#private::Figure::Cpu),
            LimitFigure::PeakRss => quote!(#private::Figure::PeakRss),
        };
        let text = |v: &Option<String>| option(v.as_ref().map(|n| quote!(#n)));
        let (name, op_name, stage) = (text(&l.name), text(&l.op_name), text(&l.stage));
        let op = format_ident!("{}", format!("{:?}", l.op));
        let value = Literal::f64_unsuffixed(l.value);
        quote! {
            #private::Limit {
                figure: #figure, name: #name, op_name: #op_name, stage: #stage,
                op: #private::Op::#op, value: #value,
            }
        }
    });
    let ratios = spec.ratios.iter().map(|r| {
        let ratio = format_ident!("{}", format!("{:?}", r.ratio));
        let op = format_ident!("{}", format!("{:?}", r.op));
        let (other, value) = (&r.other, Literal::f64_unsuffixed(r.value));
        quote! {
            #private::RatioLimit {
                ratio: #private::Ratio::#ratio, other: #other, op: #private::Op::#op, value: #value,
            }
        }
    });
    let timeout = option(spec.timeout_ns.map(|ns| {
        let ns = Literal::u64_unsuffixed(ns);
        quote!(#ns)
    }));
    let noise = option(spec.noise.map(|n| {
        let n = Literal::f64_unsuffixed(n);
        quote!(#n)
    }));
    let variant = match spec.kind {
        Kind::Bench => quote!(Bench),
        Kind::Load => quote!(Load),
    };
    // A non-capturing closure coerces to the `fn(&mut Bencher)` the slice holds, so no
    // wrapper functions are needed.
    let fns = if spec.args.is_empty() {
        quote!(#ident)
    } else {
        let calls = spec.args.iter().map(|a| {
            let expr = &a.expr;
            quote!(|__cargo_perf_t| #ident(__cargo_perf_t, #expr))
        });
        quote!(#(#calls),*)
    };
    // `file!`/`line!` take the location of the tokens they are invoked with: the fn's name.
    let location = quote_spanned! {ident.span()=>
        file: ::core::file!(), line: ::core::line!(),
    };
    let linkme = quote!(#private::linkme);
    // A `#[cfg]` below the attribute removes the function, so it must remove the entry too.
    let cfgs = func.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    quote! {
        // An anonymous const keeps the static's name out of the user's namespace.
        #(#cfgs)*
        const _: () = {
            #[#linkme::distributed_slice(#private::PERF_TESTS)]
            #[linkme(crate = #linkme)]
            static #static_name: #private::Entry = #private::Entry {
                name: #name,
                fn_name: #fn_name,
                module_path: ::core::module_path!(),
                #location
                tags: &[#(#tags),*],
                args: &[#(#labels),*],
                thresholds: &[#(#thresholds),*],
                limits: &[#(#limits),*],
                ratios: &[#(#ratios),*],
                timeout_ns: #timeout,
                noise: #noise,
                ignore: #ignore,
                test: #private::TestFn::#variant(&[#fns]),
            };
        };
    }
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(attr: &str, item: &str) -> String {
        perf_test(attr.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn generated_paths_go_through_the_given_crate() {
        let out = expand("crate = my::perf", "fn f(b: &mut Bencher) {}");
        assert!(
            out.contains("my :: perf :: __private :: PERF_TESTS"),
            "{out}"
        );
        assert!(
            out.contains("linkme (crate = my :: perf :: __private :: linkme)"),
            "{out}"
        );
        assert!(!out.contains("cargo_perf"), "{out}");
        let out = expand("", "fn f(b: &mut Bencher) {}");
        assert!(out.contains(":: cargo_perf :: __private :: Entry"), "{out}");
    }

    #[test]
    fn ignore_is_stripped_and_cfg_is_copied() {
        let out = expand(
            "",
            "#[ignore = \"flaky\"] #[cfg(unix)] fn f(b: &mut Bencher) {}",
        );
        assert!(!out.contains("ignore ="), "{out}");
        assert!(out.contains("ignore : true"), "{out}");
        assert_eq!(out.matches("# [cfg (unix)]").count(), 2, "{out}");
    }

    #[test]
    fn errors_still_emit_the_function_and_no_entry() {
        let out = expand("bogus = 1", "fn f(b: &mut Bencher) {}");
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("fn f (b : & mut Bencher) { }"), "{out}");
        assert!(!out.contains("PERF_TESTS"), "{out}");
        let out = expand("p99 \"1ms\"", "fn f(b: &mut Bencher) {}");
        assert!(
            out.contains("compile_error") && out.contains("fn f"),
            "{out}"
        );
    }

    #[test]
    fn args_become_closures_calling_the_function() {
        let out = expand("args = [1, N]", "fn f(b: &mut Bencher, n: u32) {}");
        assert!(out.contains("args : & [\"1\" , \"N\"]"), "{out}");
        assert!(
            out.contains("TestFn :: Bench (& [| __cargo_perf_t | f (__cargo_perf_t , 1) , | __cargo_perf_t | f (__cargo_perf_t , N)])"),
            "{out}"
        );
    }
}
