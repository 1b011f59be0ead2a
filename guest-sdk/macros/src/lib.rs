//! The attribute macros behind `#[herald_sdk::filter]` and
//! `#[herald_sdk::transform]`: they turn one function into a Herald plugin
//! by writing the [`Filter`]/[`Transform`] impl and the export line that a
//! plugin would otherwise write by hand. Use them through `herald-sdk`,
//! which re-exports both; the generated code names the crate `herald_sdk`.
//!
//! [`Filter`]: https://docs.rs/herald-sdk/latest/herald_sdk/plugin/trait.Filter.html
//! [`Transform`]: https://docs.rs/herald-sdk/latest/herald_sdk/plugin/trait.Transform.html

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Path, Token, Type};

/// Makes a function the component's filter:
/// `fn f(event: &Event, config: &Cfg) -> Result<Verdict, PluginError>`, or
/// `fn f(event: &Event) -> ...` for a filter without config (any config is
/// accepted). `#[herald_sdk::filter(check_config = check)]` names a
/// `fn check(config: &Cfg) -> Result<(), PluginError>` run when a webhook
/// is saved.
#[proc_macro_attribute]
pub fn filter(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Filter, attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes a function the component's transform:
/// `fn f(event: &Event, request: Request, config: &Cfg) -> Result<Request,
/// PluginError>`, or without the config argument (any config is accepted).
/// `check_config = path` as for [`macro@filter`].
#[proc_macro_attribute]
pub fn transform(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Transform, attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[derive(Clone, Copy)]
enum Kind {
    Filter,
    Transform,
}

/// The attribute's arguments: nothing, or `check_config = path`.
struct Options {
    check_config: Option<Path>,
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Options { check_config: None });
        }
        let key: syn::Ident = input.parse()?;
        if key != "check_config" {
            return Err(syn::Error::new(
                key.span(),
                "the only argument is `check_config = your_check_function`",
            ));
        }
        input.parse::<Token![=]>()?;
        let path: Path = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("expected nothing after `check_config = ...`"));
        }
        Ok(Options {
            check_config: Some(path),
        })
    }
}

fn expand(kind: Kind, attr: Tokens, item: Tokens) -> syn::Result<Tokens> {
    let options: Options = syn::parse2(attr)?;
    let function: ItemFn = syn::parse2(item)?;
    let name = &function.sig.ident;
    let (full, usage) = match kind {
        Kind::Filter => (
            2,
            "a #[herald_sdk::filter] function is `fn name(event: &Event, config: &YourConfig) \
             -> Result<Verdict, PluginError>` (or without the config argument)",
        ),
        Kind::Transform => (
            3,
            "a #[herald_sdk::transform] function is `fn name(event: &Event, request: Request, \
             config: &YourConfig) -> Result<Request, PluginError>` (or without the config argument)",
        ),
    };
    let inputs: Vec<&FnArg> = function.sig.inputs.iter().collect();
    if inputs.len() != full && inputs.len() != full - 1 {
        return Err(syn::Error::new(function.sig.span(), usage));
    }
    if let Some(FnArg::Receiver(r)) = inputs.first() {
        return Err(syn::Error::new(r.span(), usage));
    }
    let config = if inputs.len() == full {
        let Some(FnArg::Typed(arg)) = inputs.last() else {
            return Err(syn::Error::new(function.sig.span(), usage));
        };
        match &*arg.ty {
            Type::Reference(r) if r.mutability.is_none() => Some((*r.elem).clone()),
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "take the config by shared reference: `config: &YourConfig`",
                ))
            }
        }
    } else {
        None
    };
    let config_type = match &config {
        Some(t) => quote!(#t),
        None => quote!(::herald_sdk::Value),
    };
    let check = options.check_config.map(|path| {
        quote! {
            fn check_config(config: &Self::Config) -> ::core::result::Result<(), ::herald_sdk::PluginError> {
                #path(config)
            }
        }
    });
    let pass_config = config.as_ref().map(|_| quote!(, config));
    let ignore_config = config.is_none().then(|| quote!(let _ = config;));
    let out = match kind {
        Kind::Filter => quote! {
            #function

            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            struct __herald_filter_fn;

            impl ::herald_sdk::Filter for __herald_filter_fn {
                type Config = #config_type;
                fn filter(
                    event: &::herald_sdk::Event,
                    config: &Self::Config,
                ) -> ::core::result::Result<::herald_sdk::Verdict, ::herald_sdk::PluginError> {
                    #ignore_config
                    #name(event #pass_config)
                }
                #check
            }

            ::herald_sdk::export_filter!(__herald_filter_fn);
        },
        Kind::Transform => quote! {
            #function

            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            struct __herald_transform_fn;

            impl ::herald_sdk::Transform for __herald_transform_fn {
                type Config = #config_type;
                fn transform(
                    event: &::herald_sdk::Event,
                    request: ::herald_sdk::Request,
                    config: &Self::Config,
                ) -> ::core::result::Result<::herald_sdk::Request, ::herald_sdk::PluginError> {
                    #ignore_config
                    #name(event, request #pass_config)
                }
                #check
            }

            ::herald_sdk::export_transform!(__herald_transform_fn);
        },
    };
    Ok(out)
}
