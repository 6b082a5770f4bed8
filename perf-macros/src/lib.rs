//! The `#[perf_test]` attribute of cargo-perf.
use proc_macro::TokenStream;

#[proc_macro_attribute]
pub fn perf_test(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
