//! Languages of the interface and messages that can be told in each of them.

use serde::{Deserialize, Serialize};

/// The interface language. Simplified Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    /// 简体中文
    #[default]
    Zh,
    /// English
    En,
}

impl Lang {
    /// Parses a language tag such as `zh`, `zh-CN` or `en`; anything else is Chinese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The short tag used in cookies and the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// A message a person can read, in either language.
pub trait Explain {
    /// The message in the given language.
    fn explain(&self, lang: Lang) -> String;
}

/// Picks the Chinese or the English text.
pub fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    pick_in(lang, zh, en)
}

/// Picks the Chinese or the English text of data (a category's two names).
pub fn pick_in<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}
