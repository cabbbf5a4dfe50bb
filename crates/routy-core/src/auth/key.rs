//! API keys: a validated, redacted, zeroed-on-drop secret, and the shared
//! handle through which a running client reads (and rotates) its key.
//!
//! The secret lives in exactly one heap buffer, `ApiKey <token>`, which is
//! also the `Authorization` header value; it is zeroed when the last clone of
//! the key (and of any request built with it) is dropped.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use http::HeaderValue;
use zeroize::Zeroizing;

use crate::defaults::MAX_KEY_LEN;

/// The environment variable [`ApiKey::from_env`] reads, as the Routy guide
/// recommends.
pub const API_KEY_ENV: &str = "ROUTY_API_KEY";

/// The authentication scheme Routy expects in the `Authorization` header.
const SCHEME: &str = "ApiKey ";

/// Keys at least this long show their last four characters in `Debug` and
/// `Display`; shorter ones show nothing of themselves.
const FINGERPRINT_MIN_LEN: usize = 16;

/// The most bytes [`ApiKey::from_file`] reads: a token of [`MAX_KEY_LEN`]
/// with generous room for surrounding whitespace. A larger file (or a
/// device such as `/dev/zero`) is refused without being read whole.
const MAX_KEY_FILE_BYTES: u64 = 8 * 1024;

/// A Routy API token.
///
/// Construction validates the token (see [`KeyError`] for what is refused)
/// after trimming surrounding whitespace, so the contents of a downloaded
/// `.txt` file or a copied line work as they are.
///
/// `Debug` and `Display` never show the token: they show at most its last
/// four characters (only for keys of 16 characters or more), which is enough
/// to tell two keys apart. The token's memory is zeroed when the last clone
/// is dropped. Cloning is cheap (a reference count).
///
/// # Examples
///
/// ```
/// use routy::ApiKey;
///
/// let key = ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=\n")?;
/// assert_eq!(key.fingerprint(), "…aeQ=");
/// assert_eq!(format!("{key:?}"), "ApiKey(…aeQ=)");
///
/// // The most common paste mistake is caught and explained.
/// let err = ApiKey::new("ApiKey OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=").unwrap_err();
/// assert!(err.to_string().contains("ApiKey"));
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Clone)]
pub struct ApiKey {
    /// `ApiKey <token>`, marked sensitive, backed by a zeroizing buffer.
    header: HeaderValue,
}

impl ApiKey {
    /// Validates `token` and builds the key.
    ///
    /// Surrounding whitespace (including the CR/LF of a downloaded file) is
    /// trimmed first.
    ///
    /// # Errors
    ///
    /// A [`KeyError`] when the token is empty, too long, contains inner
    /// whitespace, control or non-ASCII characters, or starts with a pasted
    /// `ApiKey `, `Bearer ` or `Authorization:` prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// let key = routy::ApiKey::new("  my-token-123  ")?;
    /// # let _ = key;
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn new(token: &str) -> Result<Self, KeyError> {
        let token = token.trim();
        validate(token)?;
        let mut buf = Zeroizing::new(Vec::with_capacity(SCHEME.len() + token.len()));
        buf.extend_from_slice(SCHEME.as_bytes());
        buf.extend_from_slice(token.as_bytes());
        // `from_owner` keeps the buffer (and so its Zeroizing drop) alive for
        // as long as any clone of the header value is.
        let mut header = HeaderValue::from_maybe_shared(Bytes::from_owner(buf))
            .map_err(|_| KeyError::InvalidCharacter { position: 0 })?;
        header.set_sensitive(true);
        Ok(ApiKey { header })
    }

    /// Reads the key from the `ROUTY_API_KEY` environment variable.
    ///
    /// # Errors
    ///
    /// [`KeyError::MissingEnv`] (naming the variable) when it is unset,
    /// [`KeyError::NotUnicode`] when it is not valid UTF-8, and any
    /// validation error of [`ApiKey::new`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let key = routy::ApiKey::from_env()?;
    /// # let _ = key;
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn from_env() -> Result<Self, KeyError> {
        Self::from_env_var(API_KEY_ENV)
    }

    /// Reads the key from the named environment variable.
    ///
    /// # Errors
    ///
    /// As [`ApiKey::from_env`].
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy::ApiKey::from_env_var("ROUTY_DOC_EXAMPLE_UNSET").unwrap_err();
    /// assert!(err.to_string().contains("ROUTY_DOC_EXAMPLE_UNSET"));
    /// ```
    pub fn from_env_var(var: &str) -> Result<Self, KeyError> {
        match std::env::var_os(var) {
            None => Err(KeyError::MissingEnv {
                var: var.to_owned(),
            }),
            Some(value) => {
                let value = Zeroizing::new(value.into_string().map_err(|raw| {
                    zeroize::Zeroize::zeroize(&mut raw.into_encoded_bytes());
                    KeyError::NotUnicode
                })?);
                Self::new(&value)
            }
        }
    }

    /// Reads the key from a file, such as the `.txt` file the Routy web UI
    /// offers to download. Surrounding whitespace and line endings are
    /// trimmed; the file's contents are zeroed after reading.
    ///
    /// # Errors
    ///
    /// [`KeyError::File`] (naming the path, never the contents) when the file
    /// cannot be read, is not a regular file (a FIFO, say: refused at once,
    /// never waited on), is over 8 KiB (only that much is ever read), or is
    /// not UTF-8, and any validation error of
    /// [`ApiKey::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join("routy-doc-from-file.txt");
    /// std::fs::write(&path, "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=\r\n")?;
    /// let key = routy::ApiKey::from_file(&path)?;
    /// assert_eq!(key.fingerprint(), "…aeQ=");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let file_error = |source| KeyError::File {
            path: path.to_owned(),
            source,
        };
        let mut bytes = Zeroizing::new(Vec::new());
        crate::file::read_regular(path, MAX_KEY_FILE_BYTES, &mut bytes).map_err(|err| {
            if err.kind() == std::io::ErrorKind::InvalidData {
                file_error(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "file is over {MAX_KEY_FILE_BYTES} bytes: a token file holds one token"
                    ),
                ))
            } else {
                file_error(err)
            }
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::File {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "file is not utf-8"),
        })?;
        Self::new(text)
    }

    /// The ready-made `Authorization` header value, `ApiKey <token>`, marked
    /// sensitive. It is built once per key; cloning it does not copy the
    /// secret.
    ///
    /// # Examples
    ///
    /// ```
    /// let key = routy::ApiKey::new("abc")?;
    /// assert!(key.header_value().is_sensitive());
    /// assert_eq!(key.header_value(), "ApiKey abc");
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn header_value(&self) -> &HeaderValue {
        &self.header
    }

    /// The token itself. Handle with care: this is the secret.
    ///
    /// # Examples
    ///
    /// ```
    /// let key = routy::ApiKey::new("abc")?;
    /// assert_eq!(key.expose_secret(), "abc");
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn expose_secret(&self) -> &str {
        // The header value was built from `SCHEME` + a validated ASCII token.
        std::str::from_utf8(&self.header.as_bytes()[SCHEME.len()..]).unwrap_or_default()
    }

    /// A short, non-secret label for the key: `…` and its last four
    /// characters for keys of 16 characters or more, `…` alone otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let key = routy::ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// assert_eq!(key.fingerprint(), "…aeQ=");
    /// assert_eq!(routy::ApiKey::new("short")?.fingerprint(), "…");
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn fingerprint(&self) -> String {
        let token = self.expose_secret();
        if token.len() >= FINGERPRINT_MIN_LEN {
            format!("…{}", &token[token.len() - 4..])
        } else {
            "…".to_owned()
        }
    }

    /// Whether `text` holds this key, or any 8 bytes of it, in any form it
    /// can be read back from: as written; behind layers (up to four) of
    /// JSON or JavaScript escapes (`\u004f`, `\x4f`, `\/`), HTML character
    /// references (`&#79;`, `&plus;`) or percent-encoding; or as standard
    /// or URL-safe base64 of 11 or more of its bytes. Use it before storing
    /// or printing server text that replacing the key's runs alone cannot
    /// clean: routy's errors withhold such text, and routy-testkit refuses
    /// to save a cassette that holds it.
    ///
    /// # Examples
    ///
    /// ```
    /// let key = routy::ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// assert!(key.found_in(r"token \u004f\u0061\u0042\u0077\u0031\u002b\u0034\u0044 rejected"));
    /// assert!(key.found_in("next=%4F%61%42%77%31%2B%34%44%71"));
    /// assert!(key.found_in("T2FCdzErNERxRmZETFhPTA==")); // base64
    /// assert!(!key.found_in("nothing to hide"));
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn found_in(&self, text: impl AsRef<[u8]>) -> bool {
        self.redactor().found_in(text.as_ref())
    }

    /// What routy does with every piece of server text it keeps, and the
    /// one call to make before printing or logging a server's text: every
    /// run of 8 or more bytes of this key, the whole key included,
    /// replaced by `[redacted]` (a key shorter than 8, which cannot be told
    /// apart from ordinary text, where it stands whole as a word of its
    /// own); then, if what is left still spells the key once decoded
    /// ([`found_in`](Self::found_in)), the whole text withheld
    /// (`[withheld: it may spell the api key]`).
    ///
    /// # Examples
    ///
    /// ```
    /// let key = routy::ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// assert_eq!(key.scrub("echo: OaBw1+4DqFfDLXOLpWth"), "echo: [redacted]");
    /// assert_eq!(
    ///     // "OaBw1+4Dq", every character JSON-escaped
    ///     key.scrub(r"echo: \u004f\u0061\u0042\u0077\u0031\u002b\u0034\u0044\u0071"),
    ///     "[withheld: it may spell the api key]"
    /// );
    /// assert_eq!(key.scrub("nothing to hide"), "nothing to hide");
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redactor().scrub(text)
    }

    /// [`scrub`](Self::scrub) for bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let key = routy::ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// assert_eq!(&*key.scrub_bytes(b"{\"echo\":\"OaBw1+4DqFfDLXOLpWth\"}"), br#"{"echo":"[redacted]"}"#);
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        self.redactor().scrub_bytes(bytes)
    }

    pub(crate) fn redactor(&self) -> crate::shown::redact::Redactor<'_> {
        crate::shown::redact::Redactor::new(self.expose_secret().as_bytes())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.fingerprint())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api key {}", self.fingerprint())
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        // Not constant time: keys are compared by their owner, not against
        // attacker input.
        self.header.as_bytes() == other.header.as_bytes()
    }
}

impl Eq for ApiKey {}

impl FromStr for ApiKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for ApiKey {
    type Error = KeyError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for ApiKey {
    type Error = KeyError;

    /// Takes the string and zeroes it once the key is built.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let value = Zeroizing::new(value);
        Self::new(&value)
    }
}

/// Why a token was refused. Messages never contain the token.
///
/// # Examples
///
/// ```
/// use routy::{ApiKey, KeyError};
///
/// assert!(matches!(ApiKey::new("Bearer abc"), Err(KeyError::PastedPrefix { .. })));
/// assert!(matches!(ApiKey::new("ab cd"), Err(KeyError::InnerWhitespace { position: 2 })));
/// assert!(matches!(ApiKey::new("   "), Err(KeyError::Empty)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The token is empty (or only whitespace).
    #[error("api key is empty")]
    Empty,
    /// The token is longer than [`MAX_KEY_LEN`].
    #[error("api key is {len} bytes long; the limit is {MAX_KEY_LEN}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A whole `ApiKey …`, `Bearer …` or `Authorization: …` was pasted
    /// instead of the token alone.
    #[error("api key starts with a pasted {prefix:?} prefix; pass the token alone")]
    PastedPrefix {
        /// The prefix that was found, as it should be written.
        prefix: &'static str,
    },
    /// The token is wrapped in quotes, as copied from a shell `export` line.
    #[error("api key is wrapped in quotes; pass the token without them")]
    Quoted,
    /// The token has whitespace inside it.
    #[error("api key contains whitespace at byte {position}")]
    InnerWhitespace {
        /// Byte offset of the first such character in the trimmed token.
        position: usize,
    },
    /// The token has a control character (a stray newline, tab, escape …).
    #[error("api key contains a control character at byte {position}")]
    ControlCharacter {
        /// Byte offset of the first such character in the trimmed token.
        position: usize,
    },
    /// The token has a non-ASCII character (a smart quote, an ellipsis …).
    #[error("api key contains a non-ascii character at byte {position}")]
    NonAscii {
        /// Byte offset of the first such character in the trimmed token.
        position: usize,
    },
    /// The token has a character that cannot appear in an HTTP header.
    #[error("api key contains an invalid character at byte {position}")]
    InvalidCharacter {
        /// Byte offset of the first such character in the trimmed token.
        position: usize,
    },
    /// The environment variable holding the key is not set.
    #[error("{var} is not set")]
    MissingEnv {
        /// The variable's name.
        var: String,
    },
    /// The environment variable holding the key is not valid UTF-8.
    #[error("api key environment variable is not valid unicode")]
    NotUnicode,
    /// The key file could not be read.
    #[error("cannot read api key file {}", crate::shown::text::shown_path(path))]
    File {
        /// The file's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn validate(token: &str) -> Result<(), KeyError> {
    if token.is_empty() {
        return Err(KeyError::Empty);
    }
    if token.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong { len: token.len() });
    }
    for prefix in ["ApiKey", "Bearer", "Authorization:"] {
        let head = token.as_bytes().get(..prefix.len());
        let next = token.as_bytes().get(prefix.len());
        let pasted = head.is_some_and(|h| h.eq_ignore_ascii_case(prefix.as_bytes()))
            && (prefix.ends_with(':') || next.is_some_and(u8::is_ascii_whitespace));
        if pasted {
            return Err(KeyError::PastedPrefix { prefix });
        }
    }
    let quoted = |q: char| token.len() >= 2 && token.starts_with(q) && token.ends_with(q);
    if quoted('"') || quoted('\'') {
        return Err(KeyError::Quoted);
    }
    for (position, c) in token.char_indices() {
        if c.is_whitespace() {
            return Err(KeyError::InnerWhitespace { position });
        }
        if c.is_control() {
            return Err(KeyError::ControlCharacter { position });
        }
        if !c.is_ascii() {
            return Err(KeyError::NonAscii { position });
        }
    }
    Ok(())
}

/// A shared, replaceable slot holding the key a client sends: the provider
/// the client reads its key from on every request.
///
/// Clone it before handing it to a client and you can rotate the key of a
/// running client from any thread; the next request uses the new key.
/// [`Client::set_api_key`](crate::Client::set_api_key) does the same.
///
/// # Examples
///
/// ```
/// use routy::{ApiKey, SharedKey};
///
/// let slot = SharedKey::new(ApiKey::new("old-token")?);
/// let for_client = slot.clone();
/// slot.set(ApiKey::new("new-token")?);
/// assert_eq!(for_client.get().expose_secret(), "new-token");
/// # Ok::<(), routy::KeyError>(())
/// ```
#[derive(Clone)]
pub struct SharedKey {
    slot: Arc<RwLock<ApiKey>>,
}

impl SharedKey {
    /// A slot holding `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let slot = routy::SharedKey::new(routy::ApiKey::new("abc")?);
    /// # let _ = slot;
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn new(key: ApiKey) -> Self {
        SharedKey {
            slot: Arc::new(RwLock::new(key)),
        }
    }

    /// The current key (a cheap clone).
    ///
    /// # Examples
    ///
    /// ```
    /// let slot = routy::SharedKey::new(routy::ApiKey::new("abc")?);
    /// assert_eq!(slot.get().expose_secret(), "abc");
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn get(&self) -> ApiKey {
        // A poisoned lock still holds a whole key: writers only assign.
        self.slot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the key; requests started after this call use the new one.
    ///
    /// # Examples
    ///
    /// ```
    /// let slot = routy::SharedKey::new(routy::ApiKey::new("abc")?);
    /// slot.set(routy::ApiKey::new("def")?);
    /// assert_eq!(slot.get().expose_secret(), "def");
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn set(&self, key: ApiKey) {
        let old = std::mem::replace(
            &mut *self.slot.write().unwrap_or_else(PoisonError::into_inner),
            key,
        );
        // Dropped outside the lock: zeroing need not block readers.
        drop(old);
    }
}

impl fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedKey").field(&self.get()).finish()
    }
}

impl From<ApiKey> for SharedKey {
    fn from(key: ApiKey) -> Self {
        SharedKey::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::auth::TEST_TOKEN as TOKEN;

    #[test]
    fn trims_download_line_endings() {
        for raw in [
            format!("{TOKEN}\n"),
            format!("{TOKEN}\r\n"),
            format!("  {TOKEN}\t"),
        ] {
            assert_eq!(ApiKey::new(&raw).unwrap().expose_secret(), TOKEN);
        }
    }

    #[test]
    fn header_is_built_once_and_sensitive() {
        let key = ApiKey::new(TOKEN).unwrap();
        assert_eq!(
            key.header_value().to_str().unwrap(),
            format!("ApiKey {TOKEN}")
        );
        assert!(key.header_value().is_sensitive());
        // Clones share the one buffer rather than copying the secret.
        let clone = key.clone();
        assert_eq!(
            clone.header_value().as_bytes().as_ptr(),
            key.header_value().as_bytes().as_ptr()
        );
    }

    #[test]
    fn refuses_bad_tokens_with_precise_errors() {
        type Check = fn(&KeyError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| matches!(e, KeyError::Empty)),
            (" \r\n ", |e| matches!(e, KeyError::Empty)),
            ("ApiKey abc", |e| {
                matches!(e, KeyError::PastedPrefix { prefix: "ApiKey" })
            }),
            ("apikey\tabc", |e| {
                matches!(e, KeyError::PastedPrefix { prefix: "ApiKey" })
            }),
            ("Bearer abc", |e| {
                matches!(e, KeyError::PastedPrefix { prefix: "Bearer" })
            }),
            ("Authorization: ApiKey abc", |e| {
                matches!(
                    e,
                    KeyError::PastedPrefix {
                        prefix: "Authorization:"
                    }
                )
            }),
            ("\"abc\"", |e| matches!(e, KeyError::Quoted)),
            ("ab c", |e| {
                matches!(e, KeyError::InnerWhitespace { position: 2 })
            }),
            ("ab\r\ncd", |e| {
                matches!(e, KeyError::InnerWhitespace { position: 2 })
            }),
            ("ab\u{1b}cd", |e| {
                matches!(e, KeyError::ControlCharacter { position: 2 })
            }),
            ("ab\0cd", |e| {
                matches!(e, KeyError::ControlCharacter { position: 2 })
            }),
            ("abc…", |e| {
                matches!(e, KeyError::NonAscii { position: 3 })
            }),
            ("ab\u{a0}cd", |e| {
                matches!(e, KeyError::InnerWhitespace { position: 2 })
            }),
        ];
        for (input, check) in cases {
            let err = ApiKey::new(input).unwrap_err();
            assert!(check(&err), "{input:?} gave {err:?}");
        }
        let long = "a".repeat(MAX_KEY_LEN + 1);
        assert!(matches!(
            ApiKey::new(&long),
            Err(KeyError::TooLong { len }) if len == MAX_KEY_LEN + 1
        ));
        // Words that merely start like a scheme are tokens, not pastes.
        assert!(ApiKey::new("ApiKeyish123").is_ok());
        assert!(ApiKey::new("Bearerabc").is_ok());
    }

    #[test]
    fn debug_and_display_never_show_more_than_four_characters() {
        let key = ApiKey::new(TOKEN).unwrap();
        for shown in [
            format!("{key:?}"),
            format!("{key}"),
            format!("{key:#?}"),
            format!("{:?}", SharedKey::new(key.clone())),
        ] {
            for window in TOKEN.as_bytes().windows(5) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(!shown.contains(window), "{shown} shows {window}");
            }
        }
        let short = ApiKey::new("abcdefgh").unwrap();
        assert_eq!(format!("{short:?}"), "ApiKey(…)");
    }

    #[test]
    fn errors_never_contain_the_token() {
        let secret = "s3cr3tT0k3nValue";
        for input in [
            format!("ApiKey {secret}"),
            format!("{secret} x"),
            format!("{secret}\u{7}"),
            format!("{secret}é"),
            format!("\"{secret}\""),
        ] {
            let err = ApiKey::new(&input).unwrap_err();
            assert!(!format!("{err} {err:?}").contains(secret), "{err:?}");
        }
    }

    #[test]
    fn file_and_env_loaders() {
        let dir = std::env::temp_dir().join(format!("routy-key-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token.txt");
        std::fs::write(&path, format!("{TOKEN}\r\n")).unwrap();
        assert_eq!(ApiKey::from_file(&path).unwrap().expose_secret(), TOKEN);

        let missing = dir.join("missing.txt");
        let err = ApiKey::from_file(&missing).unwrap_err();
        assert!(err.to_string().contains("missing.txt"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();

        let err = ApiKey::from_env_var("ROUTY_TEST_SURELY_UNSET_VARIABLE").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ROUTY_TEST_SURELY_UNSET_VARIABLE is not set"
        );
    }

    #[test]
    fn file_loader_reads_a_bounded_prefix() {
        // An endless device would exhaust memory if read whole.
        if Path::new("/dev/zero").exists() {
            let err = ApiKey::from_file("/dev/zero").unwrap_err();
            assert!(matches!(err, KeyError::File { .. }), "{err:?}");
            assert!(err.to_string().contains("/dev/zero"), "{err}");
        }
        // A huge (sparse) file is refused as a file, not read and measured.
        let path = std::env::temp_dir().join(format!("routy-key-huge-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(512 << 20).unwrap();
        drop(file);
        let err = ApiKey::from_file(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        match err {
            KeyError::File { source, .. } => {
                assert!(source.to_string().contains("over 8192 bytes"), "{source}")
            }
            other => panic!("{other:?}"),
        }
        // A token padded with whitespace up to the cap still loads.
        let path = std::env::temp_dir().join(format!("routy-key-pad-{}", std::process::id()));
        let mut text = format!("{TOKEN}\n");
        text.push_str(&" ".repeat(MAX_KEY_FILE_BYTES as usize - text.len()));
        std::fs::write(&path, text).unwrap();
        let key = ApiKey::from_file(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(key.unwrap().expose_secret(), TOKEN);
    }

    #[test]
    fn shared_key_rotates_across_threads() {
        let slot = SharedKey::new(ApiKey::new("first-token").unwrap());
        let reader = slot.clone();
        std::thread::spawn(move || slot.set(ApiKey::new("second-token").unwrap()))
            .join()
            .unwrap();
        assert_eq!(reader.get().expose_secret(), "second-token");
    }
}
