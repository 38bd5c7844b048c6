//! The audit chain: every state change appends a record whose SHA-256 covers the
//! previous record's hash and a canonical encoding of the change.
//!
//! Canonical encoding: the JSON array `[seq, at, actor_id, action, appeal_id, data]`,
//! with `at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` and `data`'s object keys sorted (serde_json
//! sorts map keys). The hash is SHA-256 over `prev_hash`, a newline, and that encoding,
//! written as lowercase hex. The first record's `prev_hash` is 64 zeros.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One change, as it goes into the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (staff id), if a person.
    pub actor_id: Option<i64>,
    /// What, e.g. `appeal.register`.
    pub action: String,
    /// Which appeal, if any.
    pub appeal_id: Option<i64>,
    /// The change itself; never personal data in clear.
    pub data: Value,
}

impl AuditEntry {
    /// The canonical encoding the hash covers: the compact JSON array
    /// `[seq, at, actor_id, action, appeal_id, data]` (object keys sorted).
    pub fn canonical(&self) -> String {
        self.canonical_with(&self.data.to_string())
    }

    /// The canonical encoding, given `data` already written as compact JSON: the same
    /// bytes as serialising the whole array, without copying the data.
    pub fn canonical_with(&self, data: &str) -> String {
        use serde_json::json;
        format!(
            "[{},{},{},{},{},{data}]",
            self.seq,
            json!(self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
            json!(self.actor_id),
            json!(self.action),
            json!(self.appeal_id),
        )
    }

    /// The record's hash given the previous record's.
    pub fn hash(&self, prev_hash: &str) -> String {
        self.hash_with(prev_hash, &self.data.to_string())
    }

    /// The record's hash given the previous record's and its data as compact JSON.
    pub fn hash_with(&self, prev_hash: &str, data: &str) -> String {
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(b"\n");
        h.update(self.canonical_with(data).as_bytes());
        hex::encode(h.finalize())
    }
}

/// A record's data written ahead of the transaction but for one key whose value is
/// known only inside it (a new appeal's number): the compact JSON of the keys that sort
/// before that key and of those after. Adding the value gives the very text of writing
/// the whole object, keys sorted, as the canonical encoding wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataBut {
    key: &'static str,
    before: String,
    after: String,
}

impl DataBut {
    /// Splits `data` (which must not hold `key`) around `key`.
    pub fn new(key: &'static str, data: serde_json::Map<String, Value>) -> Self {
        let (before, after): (serde_json::Map<_, _>, serde_json::Map<_, _>) =
            data.into_iter().partition(|(k, _)| k.as_str() < key);
        Self {
            key,
            before: Value::Object(before).to_string(),
            after: Value::Object(after).to_string(),
        }
    }

    /// The whole object's compact JSON with `key` set to `value`.
    pub fn with(&self, value: &str) -> String {
        let mut out =
            String::with_capacity(self.before.len() + self.after.len() + value.len() + 16);
        // `before` and `after` are objects: `{}` or `{…}`.
        out.push_str(&self.before[..self.before.len() - 1]);
        if self.before.len() > 2 {
            out.push(',');
        }
        out.push_str(&Value::from(self.key).to_string());
        out.push(':');
        out.push_str(&Value::from(value).to_string());
        if self.after.len() > 2 {
            out.push(',');
            out.push_str(&self.after[1..]);
        } else {
            out.push('}');
        }
        out
    }
}

/// A stored record: the entry, its data as stored text, and the hashes as stored.
#[derive(Debug, Clone)]
pub struct StoredAudit {
    /// The entry with `data` as stored (it is parsed again when checking).
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor_id: Option<i64>,
    /// What.
    pub action: String,
    /// Which appeal.
    pub appeal_id: Option<i64>,
    /// The data column as stored.
    pub data: String,
    /// The stored previous hash.
    pub prev_hash: String,
    /// The stored hash.
    pub hash: String,
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Records read.
    pub records: u64,
    /// The first record found bad and why, if any.
    pub first_bad: Option<(i64, String)>,
}

/// Checks one stored record against the previous hash and expected position; returns why
/// it is bad, or `None`.
pub fn check(record: &StoredAudit, expected_seq: i64, prev_hash: &str) -> Option<String> {
    if record.seq != expected_seq {
        return Some(format!(
            "expected record {expected_seq}, found {} (a record is missing)",
            record.seq
        ));
    }
    if record.prev_hash != prev_hash {
        return Some("its previous-hash does not match the record before it".into());
    }
    let Ok(data) = serde_json::from_str::<Value>(&record.data) else {
        return Some("its data is not valid JSON".into());
    };
    let entry = AuditEntry {
        seq: record.seq,
        at: record.at,
        actor_id: record.actor_id,
        action: record.action.clone(),
        appeal_id: record.appeal_id,
        data,
    };
    if entry.hash(prev_hash) != record.hash {
        return Some("its content does not match its hash (edited after writing)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    proptest::proptest! {
        #[test]
        fn data_written_ahead_is_the_whole_object(
            keys in proptest::collection::btree_map("[a-z_]{1,8}", "[ -~\\p{Han}]{0,6}", 0..8),
            value in "[ -~\\p{Han}]{0,12}",
        ) {
            let mut data: serde_json::Map<String, Value> =
                keys.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
            data.remove("no");
            let ahead = DataBut::new("no", data.clone()).with(&value);
            data.insert("no".into(), Value::from(value));
            proptest::prop_assert_eq!(ahead, Value::Object(data).to_string());
        }
    }

    fn entry(seq: i64) -> AuditEntry {
        AuditEntry {
            seq,
            at: Utc
                .with_ymd_and_hms(2026, 11, 29, 8, 0, 0)
                .single()
                .expect("time"),
            actor_id: Some(3),
            action: "appeal.register".into(),
            appeal_id: Some(seq),
            data: serde_json::json!({"z": 1, "a": "供热"}),
        }
    }

    #[test]
    fn canonical_form_sorts_keys_and_fixes_time_precision() {
        assert_eq!(
            entry(1).canonical(),
            r#"[1,"2026-11-29T08:00:00.000000Z",3,"appeal.register",1,{"a":"供热","z":1}]"#
        );
    }

    #[test]
    fn the_fast_encoding_is_byte_for_byte_the_array_encoding() {
        // Records written before must still verify: the piecewise encoding equals
        // serialising the whole array, escapes and all.
        let mut e = entry(7);
        e.action = "appeal.\"odd\"\n动作".into();
        e.actor_id = None;
        e.data = serde_json::json!({"b": [1, "x\u{0}y"], "a": {"z": null, "k": "引号\""}});
        let whole = serde_json::json!([
            e.seq,
            e.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            e.actor_id,
            e.action,
            e.appeal_id,
            e.data,
        ])
        .to_string();
        assert_eq!(e.canonical(), whole);
    }

    #[test]
    fn any_edit_breaks_the_record() {
        let e = entry(1);
        let stored = StoredAudit {
            seq: 1,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action.clone(),
            appeal_id: e.appeal_id,
            data: e.data.to_string(),
            prev_hash: GENESIS.into(),
            hash: e.hash(GENESIS),
        };
        assert_eq!(check(&stored, 1, GENESIS), None);
        let edited = StoredAudit {
            data: r#"{"a":"供水","z":1}"#.into(),
            ..stored.clone()
        };
        assert!(check(&edited, 1, GENESIS).is_some());
        let moved = StoredAudit {
            actor_id: Some(4),
            ..stored.clone()
        };
        assert!(check(&moved, 1, GENESIS).is_some());
        assert!(check(&stored, 2, GENESIS).is_some());
        assert!(check(&stored, 1, &"1".repeat(64)).is_some());
    }
}
