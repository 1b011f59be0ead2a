//! A throwaway certificate authority for HTTPS receivers: a CA, a leaf for
//! `localhost` / 127.0.0.1 signed by it, and the CA's PEM in a file for
//! `HERALD_EXTRA_CA_FILE`.

use std::path::PathBuf;
use std::sync::Arc;

/// A test CA and a server certificate it signed.
pub struct TestCa {
    /// The CA certificate's PEM file.
    pub ca_file: PathBuf,
    /// TLS server config presenting the leaf.
    pub server: Arc<rustls::ServerConfig>,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    dir: tempfile::TempDir,
}

/// A certificate a receiver presents, in rustls form and as PEM files (for
/// servers outside the test process, such as `openssl s_server`).
pub struct Leaf {
    /// TLS server config presenting it.
    pub server: Arc<rustls::ServerConfig>,
    /// The certificate chain's PEM file.
    pub cert_file: PathBuf,
    /// The private key's PEM file.
    pub key_file: PathBuf,
}

impl TestCa {
    /// Generates a CA and a `localhost` leaf.
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Herald Test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("leaf params");
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("leaf cert");

        let dir = tempfile::tempdir().expect("tempdir");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).expect("write ca");
        let server = server_config(vec![leaf.der().clone(), ca_cert.der().clone()], &leaf_key);
        TestCa {
            ca_file,
            server,
            issuer,
            dir,
        }
    }

    /// The `localhost` leaf's config offering HTTP/2 and HTTP/1.1 by ALPN
    /// (a receiver that speaks both; [`TestCa::server`] offers no ALPN, so
    /// clients speak HTTP/1.1 to it).
    pub fn server_h2(&self) -> Arc<rustls::ServerConfig> {
        let mut config = (*self.server).clone();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// A leaf for `names` signed by this CA; `expired`: valid only in 2020.
    pub fn leaf(&self, names: &[&str], expired: bool) -> Leaf {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("leaf params");
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 12, 31);
        }
        let cert = params.signed_by(&key, &self.issuer).expect("leaf cert");
        self.write_leaf(cert, key)
    }

    /// A self-signed certificate for `localhost` (no CA vouches for it).
    pub fn self_signed(&self) -> Leaf {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        self.write_leaf(cert, key)
    }

    fn write_leaf(&self, cert: rcgen::Certificate, key: rcgen::KeyPair) -> Leaf {
        let n = std::fs::read_dir(self.dir.path()).map_or(0, |d| d.count());
        let cert_file = self.dir.path().join(format!("leaf{n}.pem"));
        let key_file = self.dir.path().join(format!("leaf{n}.key"));
        std::fs::write(&cert_file, cert.pem()).expect("write cert");
        std::fs::write(&key_file, key.serialize_pem()).expect("write key");
        Leaf {
            server: server_config(vec![cert.der().clone()], &key),
            cert_file,
            key_file,
        }
    }
}

fn server_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: &rcgen::KeyPair,
) -> Arc<rustls::ServerConfig> {
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    Arc::new(server)
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}
