//! The appeal (诉求件) and the small types it is made of.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Lang, pick};

/// Defines a closed set of values with a stored code and a label in each language.
macro_rules! labelled_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* $v,)+ }

        impl $name {
            /// All values, in display order.
            pub const ALL: &'static [$name] = &[$($name::$v,)+];

            /// The stable identifier stored in the database and used in forms.
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code,)+ }
            }

            /// Parses the stored identifier.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$v),)+ _ => None }
            }

            /// The label in the interface language.
            pub fn label(self, lang: Lang) -> &'static str {
                match self { $($name::$v => pick(lang, $zh, $en),)+ }
            }
        }
    };
}

labelled_enum! {
    /// How the appeal reached us.
    Channel {
        /// 热线电话
        Hotline = "hotline", "热线", "hotline";
        /// 网站
        Web = "web", "网站", "website";
        /// 来访
        Visit = "visit", "来访", "visit";
        /// 来信
        Letter = "letter", "来信", "letter";
        /// 领导信箱
        Mailbox = "mailbox", "领导信箱", "leader mailbox";
        /// 接口 (Open311, app)
        Api = "api", "接口/移动端", "API / app";
        /// 媒体
        Media = "media", "媒体", "media";
    }
}

labelled_enum! {
    /// What the appellant asks for.
    AppealKind {
        /// 求助
        Help = "help", "求助", "request for help";
        /// 投诉
        Complaint = "complaint", "投诉", "complaint";
        /// 建议
        Suggestion = "suggestion", "建议", "suggestion";
        /// 咨询
        Consultation = "consultation", "咨询", "consultation";
        /// 举报
        Report = "report", "举报", "report";
        /// 信访事项
        Petition = "petition", "信访事项", "petition";
        /// 矛盾纠纷
        Dispute = "dispute", "矛盾纠纷", "dispute";
    }
}

impl AppealKind {
    /// Finds a kind by its Chinese name (as written in data files) or its code.
    pub fn from_name(name: &str) -> Option<AppealKind> {
        AppealKind::ALL
            .iter()
            .copied()
            .find(|k| k.label(Lang::Zh) == name || k.code() == name)
    }
}

/// The number people read aloud on the phone: `MS2026-000123`, gapless per county and year.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AppealNo(String);

/// Why an appeal number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("an appeal number looks like MS2026-000123")]
pub struct AppealNoError;

impl AppealNo {
    /// The number for the `seq`-th appeal of `year`.
    pub fn new(year: i32, seq: u64) -> AppealNo {
        AppealNo(format!("MS{year:04}-{seq:06}"))
    }

    /// Parses a number, forgiving lower case and surrounding spaces.
    pub fn parse(s: &str) -> Result<AppealNo, AppealNoError> {
        let s = s.trim().to_ascii_uppercase();
        let rest = s.strip_prefix("MS").ok_or(AppealNoError)?;
        let (year, seq) = rest.split_once('-').ok_or(AppealNoError)?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !digits(year) || seq.len() < 6 || !digits(seq) {
            return Err(AppealNoError);
        }
        Ok(AppealNo(s))
    }

    /// The year part.
    pub fn year(&self) -> i32 {
        self.0[2..6].parse().unwrap_or_default()
    }

    /// The sequence part.
    pub fn seq(&self) -> u64 {
        self.0[7..].parse().unwrap_or_default()
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppealNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An unguessable public tracking code: 128 random bits in lowercase base32 (26 characters).
/// The randomness comes in from the caller; this type only encodes and checks it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrackingCode(String);

/// Why a tracking code was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a tracking code has 26 letters and digits")]
pub struct TrackingCodeError;

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

impl TrackingCode {
    /// Encodes 16 random bytes.
    pub fn from_random(bytes: [u8; 16]) -> TrackingCode {
        let value = u128::from_be_bytes(bytes);
        // 26 groups of 5 bits cover 130 bits; the top group carries the 3 highest bits.
        let code = (0..26)
            .rev()
            .map(|i| char::from(BASE32[((value >> (i * 5)) & 31) as usize]))
            .collect();
        TrackingCode(code)
    }

    /// Parses a code as typed; upper case is folded.
    pub fn parse(s: &str) -> Result<TrackingCode, TrackingCodeError> {
        let s = s.trim().to_ascii_lowercase();
        let first_ok = s.bytes().next().is_some_and(|b| b"abcdefgh".contains(&b));
        if s.len() == 26 && first_ok && s.bytes().all(|b| BASE32.contains(&b)) {
            Ok(TrackingCode(s))
        } else {
            Err(TrackingCodeError)
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Metadata of a file attached to an appeal; the bytes live in blob storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name as uploaded.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// What an entry of the timeline records: the registration, or a decided command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Received and numbered.
    Registered,
    /// A workflow command that was decided.
    Act(crate::workflow::Command),
}

impl Step {
    /// The stable identifier stored in the database.
    pub fn code(&self) -> &'static str {
        match self {
            Step::Registered => "registered",
            Step::Act(c) => c.code(),
        }
    }

    /// How the entry reads on a timeline.
    pub fn label(&self, lang: Lang) -> &'static str {
        match self {
            Step::Registered => pick(lang, "诉求已登记", "appeal registered"),
            Step::Act(c) => c.label(lang),
        }
    }

    /// Whether the appellant and the public may see the entry.
    pub fn is_public(&self) -> bool {
        match self {
            Step::Registered => true,
            Step::Act(c) => c.is_public(),
        }
    }
}

/// One entry of an appeal's timeline as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub step: Step,
    /// Who did it (staff display name), if a person did.
    pub actor: Option<String>,
    /// The unit they acted for.
    #[serde(default)]
    pub actor_unit: Option<String>,
    /// The unit concerned, e.g. the unit dispatched to.
    pub unit: Option<String>,
    /// A note; shown to the public only when `public` is set.
    pub note: Option<String>,
    /// Whether the appellant and the public may see this entry.
    pub public: bool,
}

impl Event {
    /// What of this entry the public track page may show, if anything: built only from
    /// the step's [`Command::disclosure`](crate::workflow::Command::disclosure), never
    /// from the stored note (which may be internal), and never naming the actor.
    pub fn public_entry(&self) -> Option<PublicEntry> {
        let text = match &self.step {
            Step::Registered => None,
            Step::Act(c) => match c.disclosure() {
                crate::workflow::Disclosure::Internal => return None,
                crate::workflow::Disclosure::Public(text) => text.map(str::to_owned),
            },
        };
        Some(PublicEntry {
            at: self.at,
            step: self.step.clone(),
            unit: self.unit.clone(),
            text,
        })
    }
}

/// One entry of the public timeline (track page, Open311, public API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub step: Step,
    /// The unit concerned (units are public; the people in them are not).
    pub unit: Option<String>,
    /// What the appellant is told with this step.
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_read_aloud() {
        let n = AppealNo::new(2026, 123);
        assert_eq!(n.as_str(), "MS2026-000123");
        assert_eq!(AppealNo::parse(" ms2026-000123 "), Ok(n.clone()));
        assert_eq!((n.year(), n.seq()), (2026, 123));
        assert_eq!(AppealNo::new(2026, 1_234_567).as_str(), "MS2026-1234567");
        for bad in [
            "",
            "MS2026",
            "MS26-000001",
            "XX2026-000001",
            "MS2026-00001",
            "MS2026-00000a",
        ] {
            assert!(AppealNo::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::from_code(c.code()), Some(*c));
        }
        for k in AppealKind::ALL {
            assert_eq!(AppealKind::from_name(k.label(Lang::Zh)), Some(*k));
        }
    }

    proptest! {
        #[test]
        fn tracking_codes_keep_all_128_bits(a in any::<[u8; 16]>(), b in any::<[u8; 16]>()) {
            let ca = TrackingCode::from_random(a);
            prop_assert_eq!(ca.as_str().len(), 26);
            prop_assert_eq!(TrackingCode::parse(&ca.as_str().to_uppercase()), Ok(ca.clone()));
            prop_assert_eq!(a == b, ca == TrackingCode::from_random(b));
        }

        #[test]
        fn appeal_numbers_parse_back(year in 2000i32..2100, seq in 1u64..10_000_000) {
            let n = AppealNo::new(year, seq);
            prop_assert_eq!(AppealNo::parse(n.as_str()), Ok(n.clone()));
            prop_assert_eq!((n.year(), n.seq()), (year, seq));
        }
    }
}
