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
}
