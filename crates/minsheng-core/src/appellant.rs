//! The appellant (诉求人): a person, a group, or nobody named at all.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Explain, Lang};

/// A mainland phone number, kept as digits only: a mobile number (11 digits, starting
/// 13–19) or a landline with its area code (10–12 digits, starting 0).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a phone number is an 11-digit mobile number or a landline with its area code")]
pub struct PhoneError;

impl Explain for PhoneError {
    fn explain(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => "电话号码应为11位手机号，或带区号的固定电话".into(),
            Lang::En => self.to_string(),
        }
    }
}

impl Phone {
    /// Parses a number as people type it: spaces and hyphens are ignored, and a leading
    /// `+86` or `86` country code is dropped.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let mut digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        if let Some(rest) = digits.strip_prefix('+') {
            digits = rest.strip_prefix("86").ok_or(PhoneError)?.to_owned();
        } else if digits.len() == 13 && digits.starts_with("86") {
            digits = digits[2..].to_owned();
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError);
        }
        let b = digits.as_bytes();
        let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        let landline = (10..=12).contains(&b.len()) && b[0] == b'0' && b[1] != b'0';
        if mobile || landline {
            Ok(Phone(digits))
        } else {
            Err(PhoneError)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is a mobile number (one that takes an SMS), not a landline.
    pub fn is_mobile(&self) -> bool {
        self.0.len() == 11 && self.0.starts_with('1')
    }

    /// The masked form for lists and exports, e.g. `138****1234`.
    pub fn masked(&self) -> String {
        crate::mask::phone(&self.0)
    }
}

impl fmt::Debug for Phone {
    // Debug output ends up in logs; personal data must not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// A resident identity card number (居民身份证号码), 18 characters with its ISO 7064
/// MOD 11-2 check character and a real date of birth.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdNumber(String);

/// Why an ID number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdNumberError {
    /// Not 17 digits followed by a digit or X.
    #[error("an ID number has 18 characters: 17 digits and a digit or X")]
    Malformed,
    /// The date of birth inside it does not exist.
    #[error("the date of birth in the ID number does not exist")]
    BadBirthDate,
    /// The check character does not match.
    #[error("the ID number's check digit is wrong; please check the number")]
    CheckDigit,
}

impl Explain for IdNumberError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (IdNumberError::Malformed, Lang::Zh) => {
                "身份证号码应为18位：17位数字加1位数字或X".into()
            }
            (IdNumberError::BadBirthDate, Lang::Zh) => "身份证号码中的出生日期不存在".into(),
            (IdNumberError::CheckDigit, Lang::Zh) => "身份证号码校验位不正确，请核对".into(),
            (e, Lang::En) => e.to_string(),
        }
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

impl IdNumber {
    /// The check character for the first 17 digits.
    pub fn check_char(first17: &str) -> Option<char> {
        if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 = first17
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        Some(char::from(ID_CHECK[(sum % 11) as usize]))
    }

    /// Parses and checks a number; a lowercase `x` is accepted.
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        let s = s.trim().to_ascii_uppercase();
        if s.len() != 18 || !s.is_ascii() {
            return Err(IdNumberError::Malformed);
        }
        let (first17, last) = s.split_at(17);
        let expected = IdNumber::check_char(first17).ok_or(IdNumberError::Malformed)?;
        let last = last.chars().next().ok_or(IdNumberError::Malformed)?;
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdNumberError::Malformed);
        }
        NaiveDate::parse_from_str(&first17[6..14], "%Y%m%d")
            .map_err(|_| IdNumberError::BadBirthDate)?;
        if last != expected {
            return Err(IdNumberError::CheckDigit);
        }
        Ok(IdNumber(s))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", crate::mask::id_number(&self.0))
    }
}

/// The person or group behind an appeal. Everything personal is optional, because some
/// channels allow anonymous appeals.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Appellant {
    /// Name, or `None` when anonymous.
    pub name: Option<String>,
    /// Phone for call-backs.
    pub phone: Option<Phone>,
    /// Identity card number.
    pub id_number: Option<IdNumber>,
    /// Home address.
    pub address: Option<String>,
    /// How many people the appeal speaks for (1 for a single person).
    pub headcount: u32,
    /// Names of a group's representatives.
    pub representatives: Vec<String>,
}

impl Appellant {
    /// An appellant who gives no name and no phone.
    pub fn anonymous() -> Appellant {
        Appellant {
            headcount: 1,
            ..Appellant::default()
        }
    }

    /// Whether nobody can be called back.
    pub fn is_anonymous(&self) -> bool {
        self.name.is_none() && self.phone.is_none()
    }

    /// Whether this is a collective appeal (集体访): five people or more.
    pub fn is_collective(&self) -> bool {
        self.headcount >= 5
    }
}

impl fmt::Debug for Appellant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Appellant")
            .field("name", &self.name.as_deref().map(crate::mask::name))
            .field("phone", &self.phone)
            .field("id_number", &self.id_number)
            .field(
                "address",
                &self.address.as_deref().map(crate::mask::address),
            )
            .field("headcount", &self.headcount)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("13800138000", "13800138000")]
    #[case("138 0013 8000", "13800138000")]
    #[case("+86 138-0013-8000", "13800138000")]
    #[case("8613800138000", "13800138000")]
    #[case("0531-88881234", "053188881234")]
    #[case("010-12345678", "01012345678")]
    fn phones_people_type(#[case] input: &str, #[case] digits: &str) {
        assert_eq!(
            Phone::parse(input).map(|p| p.as_str().to_owned()),
            Ok(digits.into())
        );
    }

    #[rstest]
    #[case("")]
    #[case("12345")]
    #[case("12800138000")]
    #[case("1380013800")]
    #[case("138001380001")]
    #[case("1380013800a")]
    #[case("+1 2025550123")]
    #[case("0012345678")]
    fn phones_refused(#[case] input: &str) {
        assert_eq!(Phone::parse(input), Err(PhoneError));
    }

    #[rstest]
    #[case("11010519491231002X", Ok(()))]
    #[case("11010519491231002x", Ok(()))]
    #[case("110105194912310021", Err(IdNumberError::CheckDigit))]
    #[case("110105194902300025", Err(IdNumberError::BadBirthDate))]
    #[case("11010519491231002", Err(IdNumberError::Malformed))]
    #[case("1101051949123100AX", Err(IdNumberError::Malformed))]
    #[case("1101051949123100é", Err(IdNumberError::Malformed))]
    #[case("110105194912310０２", Err(IdNumberError::Malformed))]
    fn id_numbers(#[case] input: &str, #[case] expected: Result<(), IdNumberError>) {
        assert_eq!(IdNumber::parse(input).map(|_| ()), expected);
    }

    #[test]
    fn debug_never_prints_personal_data() {
        let a = Appellant {
            name: Some("张三丰".into()),
            phone: Phone::parse("13800138000").ok(),
            id_number: IdNumber::parse("11010519491231002X").ok(),
            address: Some("临河县建设路18号3单元".into()),
            headcount: 1,
            representatives: vec![],
        };
        let shown = format!("{a:?}");
        for secret in ["张三丰", "13800138000", "11010519491231002X", "建设路18号"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }

    proptest! {
        #[test]
        fn a_computed_check_char_always_validates_and_any_other_fails(
            area in 110000u32..660000, days in 0i64..36500, seq in 0u32..1000, other in 0usize..11
        ) {
            let birth = NaiveDate::from_ymd_opt(1930, 1, 1).expect("date") + chrono::Days::new(days as u64);
            let first17 = format!("{area:06}{}{seq:03}", birth.format("%Y%m%d"));
            let check = IdNumber::check_char(&first17).expect("17 digits");
            let good = format!("{first17}{check}");
            prop_assert!(IdNumber::parse(&good).is_ok());
            let wrong = char::from(ID_CHECK[other]);
            prop_assume!(wrong != check);
            let bad = format!("{first17}{wrong}");
            prop_assert_eq!(IdNumber::parse(&bad).map(|_| ()), Err(IdNumberError::CheckDigit));
        }

        #[test]
        fn any_mobile_number_parses_and_masks_its_middle(second in 3u8..=9, rest in 0u64..1_000_000_000) {
            let s = format!("1{second}{rest:09}");
            let p = Phone::parse(&s).expect("valid mobile");
            let m = p.masked();
            prop_assert_eq!(m.chars().count(), 11);
            prop_assert_eq!(&m[..3], &s[..3]);
            prop_assert_eq!(&m[3..7], "****");
            prop_assert_eq!(&m[7..], &s[7..]);
        }
    }
}
