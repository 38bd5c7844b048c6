//! Masking of personal data for lists, exports and logs (138****1234).
//!
//! Every function keeps just enough for a colleague to tell two people apart and hides
//! the rest; none of them can be reversed.

/// Masks a phone number: the first three and last four digits stay.
pub fn phone(digits: &str) -> String {
    keep_ends(digits, 3, 4)
}

/// Masks an ID number: the first four and last four characters stay.
pub fn id_number(id: &str) -> String {
    keep_ends(id, 4, 4)
}

/// Masks a name: the surname stays (张三丰 → 张**).
pub fn name(name: &str) -> String {
    keep_ends(name, 1, 0)
}

/// Masks an address: the first six characters (county and township, usually) stay,
/// but never more than half of it.
pub fn address(address: &str) -> String {
    let n = address.chars().count();
    let kept: String = address.chars().take(6.min(n / 2)).collect();
    format!("{kept}****")
}

/// Hides every long number in free text (phone numbers, ID numbers, bank cards) and
/// the name part of e-mail addresses. A number is a run of at least seven digits —
/// ASCII, full-width or any other script's, or Chinese numerals as people read a
/// phone number aloud (一三八…, 幺 for one) — possibly split by single separators
/// (space, hyphen or dash, dot, slash, underscore, comma, tilde), with an ID number's
/// final X. Every digit of such a run becomes `*`; shorter numbers (house numbers,
/// sums, 11月3日) and dates and times written 2026-11-29 10:30 stay.
pub fn numbers_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_digit = |c: char| {
        c.is_ascii_digit()
            || (!c.is_ascii()
                && c.is_numeric()
                && !matches!(c, '\u{2150}'..='\u{218f}' | '\u{2460}'..='\u{24ff}'))
            || "〇零一二三四五六七八九幺".contains(c)
    };
    let is_gap = |c: char| {
        matches!(
            c,
            ' ' | '-'
                | '－'
                | '\u{3000}'
                | '\u{a0}'
                | '.'
                | '。'
                | '·'
                | '–'
                | '—'
                | '/'
                | '_'
                | ','
                | '，'
                | '~'
                | '～'
        )
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, and single gaps between digits.
        let mut end = i;
        let mut digits = 0;
        while end < chars.len() {
            if is_digit(chars[end]) {
                digits += 1;
                end += 1;
            } else if is_gap(chars[end]) && chars.get(end + 1).is_some_and(|&c| is_digit(c)) {
                end += 1;
            } else {
                break;
            }
        }
        if digits == 17
            && chars
                .get(end)
                .is_some_and(|c| matches!(c, 'X' | 'x' | 'Ｘ'))
        {
            end += 1;
            digits += 1;
        }
        // A date written 2026-11-29 (with a time, 2026-11-29 10:30) is no number to hide.
        let groups: Vec<usize> = chars[i..end]
            .split(|&c| is_gap(c))
            .map(<[char]>::len)
            .collect();
        let date = groups.len() >= 3
            && groups.len() <= 6
            && groups[0] == 4
            && groups[1..].iter().all(|g| (1..=2).contains(g));
        for &c in &chars[i..end] {
            out.push(if digits >= 7 && !date && !is_gap(c) {
                '*'
            } else {
                c
            });
        }
        i = end;
    }
    hide_mail_names(&out)
}

/// `wang.xy@example.com` → `*******@example.com`.
fn hide_mail_names(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let mut hidden = vec![false; chars.len()];
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let domain = chars.get(at + 1).is_some_and(|c| c.is_ascii_alphanumeric());
        let mut start = at;
        while start > 0 && local(chars[start - 1]) {
            start -= 1;
        }
        if domain && start < at {
            hidden[start..at].iter_mut().for_each(|h| *h = true);
        }
    }
    chars
        .iter()
        .zip(hidden)
        .map(|(&c, h)| if h { '*' } else { c })
        .collect()
}

/// Keeps `head` characters at the start and `tail` at the end, replacing the rest with
/// `*`; short values lose all but their last character.
fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= head + tail {
        let keep = usize::from(n > 1);
        return std::iter::repeat_n('*', n - keep)
            .chain(chars[n - keep..].iter().copied())
            .collect();
    }
    chars[..head]
        .iter()
        .copied()
        .chain(std::iter::repeat_n('*', n - head - tail))
        .chain(chars[n - tail..].iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(phone("13800138000"), "138****8000")]
    #[case(phone("053188881234"), "053*****1234")]
    #[case(id_number("11010519491231002X"), "1101**********002X")]
    #[case(name("张三丰"), "张**")]
    #[case(name("李"), "*")]
    #[case(name("欧阳"), "欧*")]
    #[case(address("临河县建设路18号3单元"), "临河县建设路****")]
    #[case(phone("123"), "**3")]
    #[case(address("幸福村12号"), "幸福村****")]
    fn masks(#[case] masked: String, #[case] expected: &str) {
        assert_eq!(masked, expected);
    }

    #[rstest]
    #[case("我电话13800138000，请回电", "我电话***********，请回电")]
    #[case("电话 138 0013 8000 找王", "电话 *** **** **** 找王")]
    #[case("身份证11010519491231002X。", "身份证******************。")]
    #[case("座机0539-8123456", "座机****-*******")]
    #[case("全角１３８００１３８０００号", "全角***********号")]
    #[case(
        "3号楼2单元，拖欠工资12000元，11月3日",
        "3号楼2单元，拖欠工资12000元，11月3日"
    )]
    #[case("2026-11-29 停水", "2026-11-29 停水")]
    #[case("2026-11-30 10:30 停水", "2026-11-30 10:30 停水")]
    #[case("电话138.0013.8000", "电话***.****.****")]
    #[case("电话138—0013—8000或138/0013/8000", "电话***—****—****或***/****/****")]
    #[case("电话138\u{a0}0013\u{a0}8000", "电话***\u{a0}****\u{a0}****")]
    #[case("电话١٣٨٠٠١٣٨٠٠٠", "电话***********")]
    #[case("电话幺三八零零幺三八零零零", "电话***********")]
    #[case("身份证370102.19900307.1238", "身份证******.********.****")]
    #[case("邮箱wang.xy@example.com", "邮箱*******@example.com")]
    #[case("一二三", "一二三")]
    #[case("", "")]
    fn hides_long_numbers_in_text(#[case] text: &str, #[case] expected: &str) {
        assert_eq!(numbers_in_text(text), expected);
    }

    proptest::proptest! {
        /// No phone number survives, whatever surrounds it, and the text keeps its
        /// length in characters.
        #[test]
        fn no_phone_survives(before in "[a-zA-Z甲乙丙丁水电路桥 ，。]{0,20}", tail in "[0-9]{10}", after in "[a-zA-Z甲乙丙丁水电路桥 ，。]{0,20}") {
            let phone = format!("1{tail}");
            let text = format!("{before}{phone}{after}");
            let hidden = numbers_in_text(&text);
            proptest::prop_assert!(!hidden.contains(&phone));
            proptest::prop_assert_eq!(hidden.chars().count(), text.chars().count());
            proptest::prop_assert!(hidden.starts_with(&before));
        }
    }
}
