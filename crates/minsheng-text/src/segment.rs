//! Segmentation: jieba's dictionary, the mass-work terms it lacks, and the county's
//! own words (its places, units and categories) given by the caller. The HMM is off,
//! so the same text always falls into the same words, in the index and in a query.

use jieba_rs::Jieba;

use crate::normalize::normalize;

/// Terms of petition and hotline work that jieba's dictionary would split.
const MASS_WORK_TERMS: &[&str] = &[
    "接访",
    "下访",
    "积案",
    "难案",
    "处结",
    "包案",
    "回访",
    "退单",
    "督办",
    "信访",
    "复查",
    "复核",
    "来访",
    "来信",
    "诉求",
    "承办",
    "办结",
    "签收",
    "12345",
    "网格员",
    "村委会",
    "居委会",
    "村支书",
    "村干部",
    "包工头",
    "讨薪",
    "欠薪",
    "农民工",
    "暖气片",
    "供暖费",
    "物业费",
    "不热",
    "停水",
    "停电",
    "停气",
    "扰民",
    "渣土车",
    "宅基地",
    "补偿款",
    "过渡费",
    "安置房",
    "回迁房",
    "低保",
    "五保",
    "医保",
    "社保",
    "养老金",
    "工伤",
    "高氟水",
    "氟斑牙",
    "自来水",
    "井水",
    "喝农药",
    "跳楼",
    "跳河",
    "自焚",
    "上访",
    "集体上访",
    "拉横幅",
    "堵路",
    "堵门",
    "寻短见",
    "同归于尽",
    "烂尾楼",
    "违建",
    "私搭乱建",
    "占道",
    "城管",
    "噪音",
    "油烟",
    "异味",
    "黑臭",
    "小区",
    "门卫",
    "路灯",
    "井盖",
    "断供",
    "欠费",
    "涉法涉诉",
];

/// Words that carry no subject: function words and the courtesies of every appeal.
const STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "是",
    "我",
    "你",
    "他",
    "她",
    "它",
    "们",
    "我们",
    "你们",
    "他们",
    "在",
    "就",
    "都",
    "也",
    "和",
    "与",
    "及",
    "或",
    "把",
    "被",
    "给",
    "让",
    "向",
    "从",
    "对",
    "为",
    "以",
    "于",
    "而",
    "又",
    "还",
    "很",
    "太",
    "更",
    "最",
    "这",
    "那",
    "这个",
    "那个",
    "这些",
    "那些",
    "一个",
    "一下",
    "一些",
    "有",
    "没",
    "没有",
    "不",
    "要",
    "会",
    "能",
    "可以",
    "想",
    "请",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "哦",
    "嗯",
    "喂",
    "哈",
    "啦",
    "嘛",
    "着",
    "过",
    "之",
    "其",
    "等",
    "但",
    "但是",
    "而且",
    "然后",
    "就是",
    "因为",
    "所以",
    "如果",
    "虽然",
    "还是",
    "或者",
    "自己",
    "什么",
    "怎么",
    "怎么办",
    "为什么",
    "现在",
    "已经",
    "一直",
    "目前",
    "还有",
    "你好",
    "您好",
    "谢谢",
    "感谢",
    "麻烦",
    "请问",
    "希望",
    "尽快",
    "反映",
    "问题",
    "情况",
    "解决",
    "处理",
    "相关",
    "部门",
    "领导",
    "政府",
    "有关",
    "一下子",
    "对于",
    "关于",
    "进行",
    "说",
    "去",
    "来",
    "到",
    "上",
    "下",
    "里",
    "中",
    "个",
    "些",
    "啥",
    "咋",
    "俺",
    "咱",
    "您",
    "得",
    "地",
    "所",
    "并",
    "即",
    "再",
    "才",
    "却",
    "只",
    "将",
    "该",
    "这样",
    "那样",
    "如何",
    "时候",
    "的话",
    "东西",
    "事情",
    "事",
    "一",
    "二",
    "两",
    "多",
    "后",
    "前",
    "次",
    "啊啊",
];

/// A segmenter: cheap to share, a clone costs the dictionary (tens of megabytes).
#[derive(Clone)]
pub struct Segmenter {
    jieba: Jieba,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Segmenter")
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

/// Is this word one that says nothing about the matter?
pub fn is_stop_word(word: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<&str>> =
        std::sync::LazyLock::new(|| STOP_WORDS.iter().copied().collect());
    SET.contains(word)
}

/// Does this token carry letters or digits (not punctuation or space)?
fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
}

impl Segmenter {
    /// jieba's dictionary and the mass-work terms (loading takes some 0.4 s: build one
    /// and share it).
    pub fn new() -> Self {
        let mut jieba = Jieba::new();
        for t in MASS_WORK_TERMS {
            jieba.add_word(t, None, None);
        }
        Self { jieba }
    }

    /// This segmenter with the county's own words added: place names (a village's
    /// name also without 村, 社区, 镇 …), unit names, category keywords, local terms.
    pub fn with_words<'a>(&self, words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut jieba = self.jieba.clone();
        for w in words {
            let w = normalize(w.trim());
            if w.chars().count() < 2 || !is_word(&w) {
                continue;
            }
            jieba.add_word(&w, None, None);
            if let Some(stem) = place_stem(&w) {
                jieba.add_word(stem, None, None);
            }
        }
        Self { jieba }
    }

    /// Is this word in the dictionary?
    pub fn knows(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }

    /// The words of a text, normalised, in order, punctuation and spaces left out
    /// (stop words kept).
    pub fn words(&self, text: &str) -> Vec<String> {
        let text = normalize(text);
        self.jieba
            .cut(&text, false)
            .into_iter()
            .filter(|t| is_word(t.word))
            .map(|t| t.word.to_owned())
            .collect()
    }

    /// The words that say what the matter is: [`Segmenter::words`] without stop words.
    pub fn content_words(&self, text: &str) -> Vec<String> {
        let mut words = self.words(text);
        words.retain(|w| !is_stop_word(w));
        words
    }

    /// What a model reads of a text: its content words, and each of their Chinese
    /// characters (marked `#`), so a typo (暖器) or an unknown word still says something.
    pub fn features(&self, text: &str) -> Vec<String> {
        let words = self.content_words(text);
        let mut chars: Vec<String> = words
            .iter()
            .filter(|w| w.chars().count() > 1)
            .flat_map(|w| w.chars())
            .filter(|c| !c.is_ascii() && !is_stop_word(c.encode_utf8(&mut [0; 4])))
            .map(|c| format!("#{c}"))
            .collect();
        let mut all = words;
        all.append(&mut chars);
        all
    }

    /// The terms a text is indexed under for search: its content words in order, then
    /// the shorter dictionary words inside the long ones (清华大学 → 清华, 大学), so a
    /// search for a part of a name finds the whole.
    pub fn index_terms(&self, text: &str) -> Vec<String> {
        let words = self.content_words(text);
        let mut inner = Vec::new();
        for w in &words {
            let chars: Vec<char> = w.chars().collect();
            if chars.len() < 3 {
                continue;
            }
            for n in [2, 3] {
                if n >= chars.len() {
                    continue;
                }
                for part in chars.windows(n) {
                    let part: String = part.iter().collect();
                    if self.jieba.has_word(&part) && !is_stop_word(&part) {
                        inner.push(part);
                    }
                }
            }
        }
        let mut terms = words;
        terms.extend(inner);
        terms
    }
}

/// A place name without its administrative ending, when what is left is a name.
fn place_stem(name: &str) -> Option<&str> {
    const ENDINGS: &[&str] = &["社区", "街道", "村", "屯", "庄", "镇", "乡", "县", "小区"];
    let stem = ENDINGS.iter().find_map(|e| name.strip_suffix(e))?;
    (stem.chars().count() >= 2).then_some(stem)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    pub(crate) fn segmenter() -> &'static Segmenter {
        static S: OnceLock<Segmenter> = OnceLock::new();
        S.get_or_init(|| Segmenter::new().with_words(["柳树屯村", "幸福家园小区", "鑫达建材厂"]))
    }

    #[test]
    fn mass_work_terms_stay_whole() {
        let words = segmenter().words("这个积案已经处结，回访时群众表示满意");
        for t in ["积案", "处结", "回访"] {
            assert!(words.iter().any(|w| w == t), "{t} in {words:?}");
        }
    }

    #[test]
    fn county_words_and_their_stems_are_words() {
        let words = segmenter().words("柳树屯村的自来水发黄");
        assert!(words.contains(&"柳树屯村".to_string()), "{words:?}");
        let terms = segmenter().index_terms("柳树屯村的自来水发黄");
        assert!(
            terms.contains(&"柳树屯".to_string()),
            "the stem is indexed: {terms:?}"
        );
        assert!(segmenter().knows("幸福家园"));
    }

    #[test]
    fn content_words_leave_out_courtesies_and_punctuation() {
        let words = segmenter().content_words("你好，我想反映一下，暖气不热！！");
        assert_eq!(words, ["暖气", "不热"]);
    }

    #[test]
    fn traditional_and_full_width_text_falls_into_the_same_words() {
        assert_eq!(
            segmenter().content_words("暖氣不熱，屋裡１２度"),
            segmenter().content_words("暖气不热，屋里12度")
        );
    }
}
