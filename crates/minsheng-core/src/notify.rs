//! Messages a step sets off: whom they go to, what they say, and how often a failed
//! delivery is tried again. The outbox stores them with the step that causes them;
//! a worker delivers them later. Nothing here names a person's phone or address:
//! recipients are roles and units, resolved when the message is delivered.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::i18n::{Explain, Lang, pick};
use crate::intake::FieldError;

/// What staff are told of (a notice in the bell, and by e-mail to those who chose it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// A case sent to their unit (派单, and a leader put in charge).
    NewWork,
    /// A work order returned by its unit (退单), for the dispatch centre to rule on.
    Returned,
    /// An answer the appellant was not satisfied with, to be handled again.
    Redo,
    /// A supervision order (督办).
    Supervision,
    /// A deadline near, or a sign-for late (催办).
    Reminder,
    /// A case gone up to them (升级).
    Escalation,
    /// A verdict contested, for the supervisors to rule on.
    Contest,
    /// An early warning raised on the board.
    Alert,
}

impl Notice {
    /// All notices, in display order.
    pub const ALL: [Notice; 8] = [
        Notice::NewWork,
        Notice::Returned,
        Notice::Redo,
        Notice::Supervision,
        Notice::Reminder,
        Notice::Escalation,
        Notice::Contest,
        Notice::Alert,
    ];

    /// The stable identifier.
    pub fn code(self) -> &'static str {
        match self {
            Notice::NewWork => "new_work",
            Notice::Returned => "returned",
            Notice::Redo => "redo",
            Notice::Supervision => "supervision",
            Notice::Reminder => "reminder",
            Notice::Escalation => "escalation",
            Notice::Contest => "contest",
            Notice::Alert => "alert",
        }
    }

    /// The notice named by `code`.
    pub fn parse(code: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|n| n.code() == code)
    }

    /// How it reads in the bell and in an e-mail's subject.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Notice::NewWork => pick(lang, "新派工单", "new work"),
            Notice::Returned => pick(lang, "退单待审", "order returned"),
            Notice::Redo => pick(lang, "回访不满意，需重办", "not satisfied: handle again"),
            Notice::Supervision => pick(lang, "督办", "supervision order"),
            Notice::Reminder => pick(lang, "催办提醒", "reminder"),
            Notice::Escalation => pick(lang, "超期升级", "escalated"),
            Notice::Contest => pick(lang, "评价异议待裁定", "verdict contested"),
            Notice::Alert => pick(lang, "预警", "early warning"),
        }
    }
}

/// Whom a staff notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipients {
    /// A unit's handlers and heads.
    Unit(i64),
    /// A unit's heads.
    UnitHeads(i64),
    /// The dispatch centre (dispatchers).
    DispatchCentre,
    /// The supervisors.
    Supervisors,
    /// One staff member (the leader in charge).
    Staff(i64),
}

/// What the appellant is told by SMS, if they gave a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppellantNotice {
    /// The appeal is registered: its number and tracking code.
    Receipt,
    /// A petition or review answered.
    Answered,
    /// A work order answered, with the link to rate the answer (the return visit).
    AnsweredRate,
    /// Not accepted, with where to go.
    Declined,
    /// Handling extended.
    Extended,
    /// Advised to a legal channel.
    LegalAdvice,
}

impl AppellantNotice {
    /// All, in display order (the admin's template list).
    pub const ALL: [AppellantNotice; 6] = [
        AppellantNotice::Receipt,
        AppellantNotice::Answered,
        AppellantNotice::AnsweredRate,
        AppellantNotice::Declined,
        AppellantNotice::Extended,
        AppellantNotice::LegalAdvice,
    ];

    /// The stable identifier, also the template's key.
    pub fn code(self) -> &'static str {
        match self {
            AppellantNotice::Receipt => "receipt",
            AppellantNotice::Answered => "answered",
            AppellantNotice::AnsweredRate => "answered_rate",
            AppellantNotice::Declined => "declined",
            AppellantNotice::Extended => "extended",
            AppellantNotice::LegalAdvice => "legal_advice",
        }
    }

    /// The notice whose template key is `code`.
    pub fn parse(code: &str) -> Option<AppellantNotice> {
        AppellantNotice::ALL.into_iter().find(|n| n.code() == code)
    }

    /// What it is, for the admin's template list.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AppellantNotice::Receipt => pick(lang, "受理回执", "receipt"),
            AppellantNotice::Answered => pick(lang, "答复告知", "answered"),
            AppellantNotice::AnsweredRate => {
                pick(lang, "办结告知及评价链接", "answered, with the rating link")
            }
            AppellantNotice::Declined => pick(lang, "不予受理告知", "not accepted"),
            AppellantNotice::Extended => pick(lang, "延期告知", "extended"),
            AppellantNotice::LegalAdvice => pick(lang, "法律途径告知", "legal channel"),
        }
    }

    /// The SMS the county sends until an admin edits it.
    pub fn default_template(self) -> &'static str {
        match self {
            AppellantNotice::Receipt => {
                "【民声】您的诉求已受理，编号{no}，查询码{code}。凭查询码可在{link}查看办理进度。"
            }
            AppellantNotice::Answered => {
                "【民声】您的诉求{no}已有书面答复，请凭查询码在{link}查看。"
            }
            AppellantNotice::AnsweredRate => {
                "【民声】您的诉求{no}已办结。请在{link}查看答复并评价是否满意、问题是否解决。"
            }
            AppellantNotice::Declined => {
                "【民声】您的诉求{no}不予受理，理由及可去的渠道请凭查询码在{link}查看。"
            }
            AppellantNotice::Extended => {
                "【民声】您的诉求{no}办理期限已延长，原因请凭查询码在{link}查看。"
            }
            AppellantNotice::LegalAdvice => {
                "【民声】您的诉求{no}属涉法涉诉事项，可走的法律途径请凭查询码在{link}查看。"
            }
        }
    }

    /// Whether the link goes to the rating page rather than the track page.
    pub fn links_to_verdict(self) -> bool {
        self == AppellantNotice::AnsweredRate
    }
}

/// What a template may fill in: the appeal number, the tracking code and the link.
pub const PLACEHOLDERS: [&str; 3] = ["{no}", "{code}", "{link}"];

/// Longest SMS template, in characters (three concatenated messages).
pub const MAX_TEMPLATE_CHARS: usize = 200;

/// Why a template is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Empty.
    #[error("the template is empty")]
    Empty,
    /// Too long.
    #[error("the template is longer than {0} characters")]
    TooLong(usize),
    /// A `{…}` that is not one of the placeholders.
    #[error("a template may use only {{no}}, {{code}} and {{link}}, not {0}")]
    Unknown(String),
    /// Control or direction-override characters, or text that was not valid UTF-8.
    #[error("the template may hold only printable text on one line")]
    Unprintable,
    /// A placeholder this message must carry.
    #[error("this message must carry {0}")]
    Missing(&'static str),
}

impl Explain for TemplateError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (e, Lang::En) => e.to_string(),
            (TemplateError::Empty, Lang::Zh) => "短信模板不能为空".into(),
            (TemplateError::TooLong(n), Lang::Zh) => format!("短信模板最多{n}个字"),
            (TemplateError::Unknown(t), Lang::Zh) => {
                format!("短信模板只能使用 {{no}}、{{code}}、{{link}}，不认识“{t}”")
            }
            (TemplateError::Unprintable, Lang::Zh) => {
                "短信模板只能是一行可显示的文字，不能含控制字符".into()
            }
            (TemplateError::Missing(p), Lang::Zh) => format!("这条短信必须含有 {p}"),
        }
    }
}

/// Checks the e-mail address a staff member gives for notices: empty is none;
/// otherwise one `@` between a name and a domain with a dot, no blanks, at most 120
/// characters.
pub fn check_email(text: &str) -> Result<Option<String>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let ok = text.chars().count() <= 120
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
        && text.split_once('@').is_some_and(|(name, domain)| {
            !name.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(Some(text.to_owned()))
    } else {
        Err(FieldError::Email)
    }
}

/// Checks an edited template for `what`: not empty, not too long, one line of
/// printable text (no control or direction-override characters), no placeholder but
/// [`PLACEHOLDERS`], and those it must carry: the receipt its tracking code, the
/// rating message its link.
pub fn check_template(what: AppellantNotice, text: &str) -> Result<String, TemplateError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TemplateError::Empty);
    }
    if text.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(TemplateError::TooLong(MAX_TEMPLATE_CHARS));
    }
    if text.chars().any(|c| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            || c == '\u{fffd}'
    }) {
        return Err(TemplateError::Unprintable);
    }

    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        let token = &after[..end];
        if !PLACEHOLDERS.contains(&token) {
            return Err(TemplateError::Unknown(token.to_owned()));
        }
        rest = &after[end..];
    }
    let needs: &[&'static str] = match what {
        AppellantNotice::Receipt => &["{code}"],
        AppellantNotice::AnsweredRate => &["{link}"],
        _ => &[],
    };
    if let Some(missing) = needs.iter().find(|p| !text.contains(**p)) {
        return Err(TemplateError::Missing(missing));
    }
    Ok(text.to_owned())
}

/// Fills a template's placeholders (values are put in as they are; nothing in them is
/// read as a placeholder again).
pub fn render(template: &str, no: &str, code: &str, link: &str) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let (token, value) = [("{no}", no), ("{code}", code), ("{link}", link)]
            .into_iter()
            .find(|(t, _)| after.starts_with(t))
            .unwrap_or(("{", "{"));
        out.push_str(value);
        rest = &after[token.len()..];
    }
    out.push_str(rest);
    out
}

/// Attempts after which a message is given up (marked failed, shown to admins).
pub const MAX_ATTEMPTS: u32 = 12;

/// How long to wait before trying a message again after its `attempts`-th failure:
/// 30 seconds, doubling, at most an hour.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(7);
    Duration::from_secs((30u64 << doublings).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_default_template_passes_its_own_check() {
        for n in AppellantNotice::ALL {
            assert_eq!(
                check_template(n, n.default_template()).as_deref(),
                Ok(n.default_template())
            );
            assert_eq!(AppellantNotice::parse(n.code()), Some(n));
        }
        for n in Notice::ALL {
            assert_eq!(Notice::parse(n.code()), Some(n));
        }
    }

    #[test]
    fn templates_are_checked() {
        assert_eq!(
            check_template(AppellantNotice::Answered, "  "),
            Err(TemplateError::Empty)
        );
        assert_eq!(
            check_template(AppellantNotice::Answered, "您好{name}"),
            Err(TemplateError::Unknown("{name}".into()))
        );
        assert_eq!(
            check_template(AppellantNotice::Answered, "未闭合{no"),
            Err(TemplateError::Unknown("{no".into()))
        );
        assert_eq!(
            check_template(AppellantNotice::Answered, &"字".repeat(201)),
            Err(TemplateError::TooLong(200))
        );
        assert!(check_template(AppellantNotice::Receipt, "编号{no}，查询码{code}，{link}").is_ok());
        // A receipt without its code, a rating message without its link, are no use.
        assert_eq!(
            check_template(AppellantNotice::Receipt, "已受理{no}"),
            Err(TemplateError::Missing("{code}"))
        );
        assert_eq!(
            check_template(AppellantNotice::AnsweredRate, "已办结{no}"),
            Err(TemplateError::Missing("{link}"))
        );
        for bad in [
            "a\u{0}{code}",
            "两行\n{code}",
            "\u{202e}{code}",
            "\u{fffd}{code}",
        ] {
            assert_eq!(
                check_template(AppellantNotice::Receipt, bad),
                Err(TemplateError::Unprintable),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn addresses_are_checked() {
        assert_eq!(check_email("  "), Ok(None));
        assert_eq!(
            check_email(" wang@zjj.gov.cn "),
            Ok(Some("wang@zjj.gov.cn".to_owned()))
        );
        for bad in [
            "wang",
            "wang@",
            "@zjj.gov.cn",
            "wang@gov",
            "a b@c.cn",
            "a@b@c.cn",
            "a@.cn",
            "<a@b.cn>",
        ] {
            assert_eq!(check_email(bad), Err(FieldError::Email), "{bad}");
        }
        assert_eq!(
            check_email(&format!("{}@b.cn", "a".repeat(120))),
            Err(FieldError::Email)
        );
    }

    #[test]
    fn rendering_fills_each_placeholder_once() {
        assert_eq!(
            render(
                "编号{no}查询码{code}见{link}{",
                "MS-1",
                "{no}",
                "http://x/track"
            ),
            "编号MS-1查询码{no}见http://x/track{"
        );
    }

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(6), Duration::from_secs(960));
        assert_eq!(backoff(8), Duration::from_secs(3600));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(3600));
    }

    proptest! {
        #[test]
        fn backoff_never_shrinks(a in 0u32..100, b in 0u32..100) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(backoff(lo) <= backoff(hi));
        }

        #[test]
        fn a_checked_template_renders_without_braces_left(
            parts in proptest::collection::vec(prop_oneof![
                Just("{no}".to_owned()), Just("{code}".to_owned()), Just("{link}".to_owned()),
                "[^{}\\p{C}\u{fffd}]{0,8}",
            ], 1..12)
        ) {
            let t = parts.concat();
            prop_assume!(!t.trim().is_empty() && t.trim().chars().count() <= MAX_TEMPLATE_CHARS);
            let checked = check_template(AppellantNotice::Answered, &t).expect("only placeholders");
            let out = render(&checked, "NO", "CODE", "LINK");
            let braces = out.contains('{') || out.contains('}');
            prop_assert!(!braces, "left over: {}", out);
        }
    }
}
