//! The dashboard and customer portal (`/ui/`): sessions, portal links and
//! the page's security headers over HTTP ([`sessions`]), and the whole
//! main flow clicked through in a real browser ([`browser`]).

mod browser;
mod sessions;
