//! CA certificates a transport trusts instead of its default roots (a
//! TLS-inspecting proxy's CA, a private CA): read and checked once, the
//! same way for every transport, so `ca_file` and `ca_pem` take the same
//! arguments and refuse the same input with the same message whichever
//! transport a program uses. (Feature `ca`, which the transports enable.)
//!
//! ```
//! use routy::transport::{CaRoots, CaSource};
//!
//! let err = CaRoots::load(CaSource::Pem(b"not pem".to_vec())).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "cannot use the ca certificates from PEM bytes: no PEM certificate (BEGIN CERTIFICATE) in it"
//! );
//! ```

use std::path::PathBuf;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;

use crate::config::{read_ca_file, ConfigError};

/// Where a transport's builder was told to find its CAs. (Not
/// `non_exhaustive`: a transport must handle every source.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaSource {
    /// A PEM file: one or more `BEGIN CERTIFICATE` blocks (read at most 4
    /// MiB).
    File(PathBuf),
    /// PEM text in memory.
    Pem(Vec<u8>),
}

/// The CA certificates of a [`CaSource`], parsed: at least one, each as
/// DER. Other PEM items (a private key that came along) are skipped.
#[derive(Clone)]
pub struct CaRoots {
    source: CaSource,
    certificates: Vec<CertificateDer<'static>>,
}

impl CaRoots {
    /// Reads and parses `source`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::CaCertificates`] naming the file (never its
    /// contents) when it cannot be read, is over 4 MiB, is not PEM, or
    /// holds no certificate.
    pub fn load(source: CaSource) -> Result<Self, ConfigError> {
        let (from, read);
        let pem: &[u8] = match &source {
            CaSource::File(path) => {
                from = path.display().to_string();
                read = read_ca_file(path)?;
                &read
            }
            CaSource::Pem(pem) => {
                from = "PEM bytes".to_owned();
                pem
            }
        };
        let refused = |reason: String| ConfigError::CaCertificates {
            what: format!("{from}: {reason}").into(),
        };
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| refused(format!("malformed PEM: {}", pem_problem(&e))))?;
        if certificates.is_empty() {
            return Err(refused(
                "no PEM certificate (BEGIN CERTIFICATE) in it".to_owned(),
            ));
        }
        Ok(CaRoots {
            source,
            certificates,
        })
    }

    /// Where they came from.
    pub fn source(&self) -> &CaSource {
        &self.source
    }

    /// Each certificate, DER-encoded.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::transport::{CaRoots, CaSource};
    ///
    /// # let server = routy_testkit::https::HttpsServer::start("application/json", Vec::new())?;
    /// let pem = server.ca_pem().as_bytes().to_vec(); // one CA certificate
    /// let roots = CaRoots::load(CaSource::Pem(pem))?;
    /// assert_eq!(roots.der().count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn der(&self) -> impl Iterator<Item = &[u8]> {
        self.certificates.iter().map(|cert| cert.as_ref())
    }
}

/// The PEM parser's complaint in words (its own `Display` prints bytes
/// as a list of numbers).
fn pem_problem(err: &rustls_pki_types::pem::Error) -> &'static str {
    use rustls_pki_types::pem::Error as E;
    match err {
        E::MissingSectionEnd { .. } => "a BEGIN line has no END line",
        E::IllegalSectionStart { .. } => "a BEGIN line is malformed",
        E::Base64Decode(_) => "a block is not valid base64",
        E::SectionTooLarge => "a block is too large",
        _ => "it cannot be parsed",
    }
}

impl std::fmt::Debug for CaRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaRoots")
            .field("source", &self.source)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_pem_is_said_in_words() {
        for (pem, why) in [
            (
                &b"-----BEGIN CERTIFICATE-----\nAAAA\n"[..],
                "a BEGIN line has no END line",
            ),
            (
                b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                "a block is not valid base64",
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "no PEM certificate",
            ),
        ] {
            let err = CaRoots::load(CaSource::Pem(pem.to_vec()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{err}");
            assert!(!err.contains('['), "no byte lists: {err}");
        }
    }
}
