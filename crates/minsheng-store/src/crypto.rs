//! Encryption of personal data at rest (XChaCha20-Poly1305) and the keyed blind index
//! (HMAC-SHA-256) that lets a call-taker find earlier appeals by phone.
//!
//! One 32-byte master key, given as 64 hex digits in configuration, never stored in the
//! database. Two sub-keys are derived from it: one to seal fields, one for the blind
//! index. The key id stored beside each ciphertext is derived from the sealing key, so a
//! retired key can be told apart from the current one during rotation.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Problems with keys or ciphertexts.
#[derive(Debug, Error)]
pub enum CryptoError {
    /// The configured key is not 64 hex digits.
    #[error("the data key must be 64 hexadecimal digits (32 bytes)")]
    BadKey,
    /// A ciphertext names a key this keyring does not hold.
    #[error("no data key with id {0} is configured")]
    UnknownKey(String),
    /// A ciphertext failed authentication: tampered, or the wrong key.
    #[error("a protected field could not be decrypted")]
    Tampered,
}

/// One data key and its derived sub-keys. Its `Debug` prints only the id.
#[derive(Clone)]
pub struct DataKey {
    id: String,
    seal: [u8; 32],
    index: [u8; 32],
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey({})", self.id)
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl DataKey {
    /// Derives the sub-keys from a master key.
    pub fn from_master(master: &[u8; 32]) -> DataKey {
        let seal = derive(master, "minsheng/seal/v1");
        let index = derive(master, "minsheng/blind-index/v1");
        let id = hex::encode(&Sha256::digest(seal)[..4]);
        DataKey { id, seal, index }
    }

    /// Parses 64 hex digits (surrounding white space is ignored).
    pub fn from_hex(s: &str) -> Result<DataKey, CryptoError> {
        let bytes = hex::decode(s.trim()).map_err(|_| CryptoError::BadKey)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(DataKey::from_master(&master))
    }

    /// A fresh random master key as 64 hex digits.
    pub fn generate_hex() -> String {
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        hex::encode(master)
    }

    /// The key id stored beside ciphertexts.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The current key, used to seal, and retired keys still able to open old data.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: DataKey,
    retired: Vec<DataKey>,
}

impl Keyring {
    /// A keyring with one key.
    pub fn new(current: DataKey) -> Keyring {
        Keyring {
            current,
            retired: Vec::new(),
        }
    }

    /// Adds a retired key that can still open data sealed with it.
    pub fn with_retired(mut self, key: DataKey) -> Keyring {
        self.retired.push(key);
        self
    }

    /// The id of the key new data is sealed with.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Seals `plaintext`; `field` is bound in as associated data, so a ciphertext moved
    /// into another column fails to open.
    pub fn seal(&self, field: &str, plaintext: &str) -> String {
        let cipher = XChaCha20Poly1305::new((&self.current.seal).into());
        // A 192-bit random nonce from the thread's CSPRNG (ChaCha, seeded and reseeded
        // from the OS): no system call per value sealed.
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: field.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD_NO_PAD.encode(out)
    }

    /// Opens a value sealed under the key with id `key_id`.
    pub fn open(&self, key_id: &str, field: &str, sealed: &str) -> Result<String, CryptoError> {
        let key = std::iter::once(&self.current)
            .chain(&self.retired)
            .find(|k| k.id == key_id)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        let raw = STANDARD_NO_PAD
            .decode(sealed)
            .map_err(|_| CryptoError::Tampered)?;
        if raw.len() < 24 {
            return Err(CryptoError::Tampered);
        }
        let (nonce, body) = raw.split_at(24);
        let plain = XChaCha20Poly1305::new((&key.seal).into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: field.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Tampered)
    }

    /// The blind index of a normalised value (a phone's digits): equal values give equal
    /// indexes, and without the key the index tells nothing.
    pub fn blind_index(&self, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.current.index).expect("any key length");
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::new(DataKey::from_hex(&"11".repeat(32)).expect("key"))
    }

    #[test]
    fn sealed_values_open_and_hide_the_plaintext() {
        let k = ring();
        let s = k.seal("phone", "13800138000");
        assert!(!s.contains("13800138000"));
        assert_ne!(s, k.seal("phone", "13800138000"), "nonces differ");
        assert_eq!(
            k.open(k.current_id(), "phone", &s).expect("opens"),
            "13800138000"
        );
        assert!(matches!(
            k.open(k.current_id(), "name", &s),
            Err(CryptoError::Tampered)
        ));
        let mut bad = s.clone().into_bytes();
        bad[30] = if bad[30] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).expect("ascii");
        assert!(k.open(k.current_id(), "phone", &bad).is_err());
    }

    #[test]
    fn a_retired_key_still_opens_old_data() {
        let old = ring();
        let sealed = old.seal("phone", "13800138000");
        let new = Keyring::new(DataKey::from_hex(&"22".repeat(32)).expect("key"))
            .with_retired(DataKey::from_hex(&"11".repeat(32)).expect("key"));
        assert_ne!(new.current_id(), old.current_id());
        assert_eq!(
            new.open(old.current_id(), "phone", &sealed).expect("opens"),
            "13800138000"
        );
        assert!(matches!(
            new.open("deadbeef", "phone", &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn blind_index_is_stable_keyed_and_not_the_number() {
        let a = ring();
        let b = Keyring::new(DataKey::from_hex(&"33".repeat(32)).expect("key"));
        assert_eq!(a.blind_index("13800138000"), a.blind_index("13800138000"));
        assert_ne!(a.blind_index("13800138000"), a.blind_index("13800138001"));
        assert_ne!(a.blind_index("13800138000"), b.blind_index("13800138000"));
        assert!(DataKey::from_hex("abc").is_err());
        assert_eq!(
            format!("{:?}", a.current),
            format!("DataKey({})", a.current_id())
        );
    }
}
