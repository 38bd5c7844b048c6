//! Staff, their roles, and what each of them may see.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Explain, Lang, pick};
use crate::region::RegionCode;

/// A role a staff member holds; one person may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// 话务员: registers hotline, visit and letter appeals.
    CallTaker,
    /// 派单员: routes appeals to units.
    Dispatcher,
    /// 承办人: handles appeals for a unit.
    Handler,
    /// 单位负责人: approves within a unit.
    UnitHead,
    /// 领导: receives visitors, takes charge of key cases.
    Leader,
    /// 督办员: supervises overdue or stuck cases.
    Supervisor,
    /// 网格员: works a grid.
    GridWorker,
    /// 审计员: reads the audit trail.
    Auditor,
    /// 系统管理员
    Admin,
}

impl Role {
    /// Whether the role may see an appellant's personal data in full (an audited
    /// reveal): everyone who deals with cases; the auditor reads the trail, not people.
    pub fn may_reveal_personal_data(self) -> bool {
        !matches!(self, Role::Auditor)
    }

    /// All roles, in display order.
    pub const ALL: [Role; 9] = [
        Role::CallTaker,
        Role::Dispatcher,
        Role::Handler,
        Role::UnitHead,
        Role::Leader,
        Role::Supervisor,
        Role::GridWorker,
        Role::Auditor,
        Role::Admin,
    ];

    /// The stable identifier stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Role::CallTaker => "call_taker",
            Role::Dispatcher => "dispatcher",
            Role::Handler => "handler",
            Role::UnitHead => "unit_head",
            Role::Leader => "leader",
            Role::Supervisor => "supervisor",
            Role::GridWorker => "grid_worker",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored identifier.
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Name of the role in the interface language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::CallTaker => pick(lang, "话务员", "call-taker"),
            Role::Dispatcher => pick(lang, "派单员", "dispatcher"),
            Role::Handler => pick(lang, "承办人", "handler"),
            Role::UnitHead => pick(lang, "单位负责人", "unit head"),
            Role::Leader => pick(lang, "领导", "leader"),
            Role::Supervisor => pick(lang, "督办员", "supervisor"),
            Role::GridWorker => pick(lang, "网格员", "grid worker"),
            Role::Auditor => pick(lang, "审计员", "auditor"),
            Role::Admin => pick(lang, "管理员", "administrator"),
        }
    }

    /// Whether the role looks across a whole region rather than at one unit's cases.
    fn sees_region(self) -> bool {
        matches!(
            self,
            Role::CallTaker
                | Role::Dispatcher
                | Role::Leader
                | Role::Supervisor
                | Role::Auditor
                | Role::Admin
        )
    }

    /// Whether the role may register appeals on behalf of callers and visitors.
    pub fn registers_appeals(self) -> bool {
        matches!(self, Role::CallTaker | Role::Dispatcher | Role::Admin)
    }
}

/// A login name: 3–32 characters of lowercase ASCII letters, digits, `.`, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

/// Why a login name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a login name has 3 to 32 lowercase letters, digits, '.', '_' or '-'")]
pub struct UsernameError;

impl Explain for UsernameError {
    fn explain(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => "登录名应为3至32位小写字母、数字或 . _ -".into(),
            Lang::En => self.to_string(),
        }
    }
}

impl Username {
    /// Parses a login name; upper case is folded to lower case.
    pub fn parse(s: &str) -> Result<Self, UsernameError> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (3..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(Username(s))
        } else {
            Err(UsernameError)
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A staff member as the application sees them after login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Database id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Home unit.
    pub unit_id: i64,
    /// Roles held.
    pub roles: Vec<Role>,
    /// Whether they must set a new password before anything else (after a reset or
    /// their first one-time password).
    pub must_change_password: bool,
}

impl Staff {
    /// Whether the staff member holds the role.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// What the staff member may see, given their home unit's jurisdiction and the
    /// units above it (see [`crate::unit::lineage`]).
    pub fn scope(&self, unit_jurisdiction: &[RegionCode], above: Vec<i64>) -> Scope {
        let regions = if self.roles.iter().any(|r| r.sees_region()) {
            unit_jurisdiction.to_vec()
        } else {
            Vec::new()
        };
        Scope {
            regions,
            units: vec![self.unit_id],
            above,
        }
    }
}

/// A password good enough to set: 10 to 128 characters, of at least two kinds
/// (letters, digits, other signs), not containing the login name. Its `Debug` prints
/// nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PasswordError {
    /// Too short or too long.
    #[error("a password has 10 to 128 characters")]
    Length,
    /// Only one kind of character.
    #[error("use at least two kinds of characters: letters, digits, other signs")]
    TooSimple,
    /// Contains the login name.
    #[error("a password must not contain the login name")]
    ContainsUsername,
}

impl Explain for PasswordError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (e, Lang::En) => e.to_string(),
            (PasswordError::Length, Lang::Zh) => "密码长度应为10至128个字符".into(),
            (PasswordError::TooSimple, Lang::Zh) => "密码至少包含字母、数字、符号中的两类".into(),
            (PasswordError::ContainsUsername, Lang::Zh) => "密码不能包含登录名".into(),
        }
    }
}

impl NewPassword {
    /// Checks a password chosen for `username`.
    pub fn parse(password: &str, username: &str) -> Result<NewPassword, PasswordError> {
        let n = password.chars().count();
        if !(10..=128).contains(&n) {
            return Err(PasswordError::Length);
        }
        let letters = password.chars().any(char::is_alphabetic);
        let digits = password.chars().any(|c| c.is_ascii_digit());
        let others = password.chars().any(|c| !c.is_alphanumeric());
        if [letters, digits, others].iter().filter(|k| **k).count() < 2 {
            return Err(PasswordError::TooSimple);
        }
        let name = username.trim().to_lowercase();
        if name.len() >= 3 && password.to_lowercase().contains(&name) {
            return Err(PasswordError::ContainsUsername);
        }
        Ok(NewPassword(password.to_owned()))
    }

    /// The password, to hash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// The appeals a staff member may see: those placed inside one of `regions`, and those
/// handled by one of `units`, except those that accuse one of `units` or a unit
/// `above` them (回避: an accused office never sees the accusation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Regions seen whole.
    pub regions: Vec<RegionCode>,
    /// Units whose cases are seen.
    pub units: Vec<i64>,
    /// The units above `units`, up to the top of the tree.
    #[serde(default)]
    pub above: Vec<i64>,
}

impl Scope {
    /// Whether an appeal placed in `region`, handled by `unit` and accusing the units
    /// `accused` is visible.
    pub fn allows(&self, region: &RegionCode, unit: Option<i64>, accused: &[i64]) -> bool {
        (self.regions.iter().any(|r| region.is_within(r))
            || unit.is_some_and(|u| self.units.contains(&u)))
            && !self.accused_by(accused)
    }

    /// Whether an accusation naming `accused` names the viewer's own unit or one above it.
    pub fn accused_by(&self, accused: &[i64]) -> bool {
        accused
            .iter()
            .any(|a| self.units.contains(a) || self.above.contains(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(roles: Vec<Role>) -> Staff {
        Staff {
            id: 1,
            username: "x.handler".into(),
            display_name: "X".into(),
            unit_id: 7,
            roles,
            must_change_password: false,
        }
    }

    #[test]
    fn a_handler_sees_only_their_units_cases() {
        let county = RegionCode::parse("370999000000").expect("valid");
        let village = RegionCode::parse("370999001001").expect("valid");
        let scope = staff(vec![Role::Handler]).scope(std::slice::from_ref(&county), vec![3]);
        assert!(scope.allows(&village, Some(7), &[]));
        assert!(!scope.allows(&village, Some(8), &[]));
        assert!(!scope.allows(&village, None, &[]));
        // An accusation against the unit, or the unit above it, is hidden from it.
        assert!(!scope.allows(&village, Some(7), &[7]));
        assert!(!scope.allows(&village, Some(7), &[3]));
        assert!(scope.allows(&village, Some(7), &[8]));
    }

    #[test]
    fn a_leader_sees_the_whole_jurisdiction_and_nothing_outside() {
        let town = RegionCode::parse("370999001000").expect("valid");
        let inside = RegionCode::parse("370999001001").expect("valid");
        let outside = RegionCode::parse("370999002001").expect("valid");
        let scope = staff(vec![Role::Leader]).scope(&[town], Vec::new());
        assert!(scope.allows(&inside, Some(99), &[]));
        assert!(!scope.allows(&outside, Some(99), &[]));
        assert!(
            !scope.allows(&inside, Some(99), &[7]),
            "accusing the leader's own unit"
        );
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert_eq!(
            NewPassword::parse("short1", "wang"),
            Err(PasswordError::Length)
        );
        assert_eq!(
            NewPassword::parse("abcdefghijkl", "wang"),
            Err(PasswordError::TooSimple)
        );
        assert_eq!(
            NewPassword::parse("1234567890123", "wang"),
            Err(PasswordError::TooSimple)
        );
        assert_eq!(
            NewPassword::parse("Wang.Handler-2026", "wang.handler"),
            Err(PasswordError::ContainsUsername)
        );
        let ok = NewPassword::parse("春风十里不如你2026", "wang").expect("good");
        assert_eq!(format!("{ok:?}"), "NewPassword(***)");
        assert!(PasswordError::TooSimple.explain(Lang::Zh).contains("两类"));
    }

    #[test]
    fn usernames_are_folded_and_checked() {
        assert_eq!(
            Username::parse(" ZJJ.Handler ").map(|u| u.as_str().to_owned()),
            Ok("zjj.handler".to_owned())
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("张三").is_err());
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
    }
}
