//! What comes back: a failure status as an [`ApiError`] (with its RFC 9457
//! [`Problem`], its [`RateLimit`] and `Retry-After`), a body decoded or a
//! [`DecodeError`] that says where and why, a list checked for the signs
//! of more pages ([`IncompleteList`]), and the [`ResponseInfo`] any call
//! can answer with.

pub(crate) mod api_error;
pub(crate) mod decode;
pub(crate) mod incomplete;
pub(crate) mod info;
pub(crate) mod json_path;
pub(crate) mod paging;
pub(crate) mod problem;
pub(crate) mod rate_limit;
pub(crate) mod structured_field;

pub use api_error::{ApiError, ApiErrorKind};
pub use decode::{decode_json, DecodeError};
pub use incomplete::IncompleteList;
pub use info::ResponseInfo;
pub use problem::{FieldErrors, Problem, ProblemExtensions};
pub use rate_limit::RateLimit;
