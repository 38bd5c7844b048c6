//! Risk phrases: a threat to someone's life (自杀, 跳楼, 喝农药 …) or to public order
//! (堵路, 拉横幅, 集体上访 …), and matters already before a court (涉法涉诉).
//!
//! A phrase counts only inside its own clause and only when nothing in that clause
//! takes it back: a negation just before it (不会跳楼, 没想过寻短见), a word that
//! makes it commerce or medicine (跳楼价, 每天喝药), traffic rather than people
//! (渣土车把路堵了), or a report of someone else's past (去年隔壁县有人跳河). A
//! conditional threat stays a threat (再不给钱我就跳楼): the 不 there negates the
//! paying, not the jump.

use serde::{Deserialize, Serialize};

use crate::normalize::normalize;

/// What a phrase threatens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    /// Someone's life or body (the appellant's or another's).
    Life,
    /// Public order: blocking roads and gates, banners, crowds at offices.
    Order,
}

impl RiskKind {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            RiskKind::Life => "life",
            RiskKind::Order => "order",
        }
    }
}

/// One threat found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskHit {
    /// What it threatens.
    pub kind: RiskKind,
    /// The words as written (normalised).
    pub phrase: String,
    /// Where they start, in characters.
    pub at: usize,
}

/// How a phrase must be read.
#[derive(Clone, Copy)]
enum Needs {
    /// It is a threat wherever it stands (unless negated).
    Nothing,
    /// Only with an intent before it in the clause (要, 就, 准备, 扬言 …).
    Intent,
    /// Only when people, not things, are doing it (村民堵路, not 渣土车堵路).
    People,
}

struct Phrase {
    text: &'static str,
    kind: RiskKind,
    needs: Needs,
}

const fn life(text: &'static str) -> Phrase {
    Phrase {
        text,
        kind: RiskKind::Life,
        needs: Needs::Nothing,
    }
}
const fn life_if_meant(text: &'static str) -> Phrase {
    Phrase {
        text,
        kind: RiskKind::Life,
        needs: Needs::Intent,
    }
}
const fn order(text: &'static str) -> Phrase {
    Phrase {
        text,
        kind: RiskKind::Order,
        needs: Needs::Nothing,
    }
}
const fn order_by_people(text: &'static str) -> Phrase {
    Phrase {
        text,
        kind: RiskKind::Order,
        needs: Needs::People,
    }
}

const PHRASES: &[Phrase] = &[
    life("自杀"),
    life("轻生"),
    life("寻短见"),
    life("寻死"),
    life("求死"),
    life("跳楼"),
    life("跳河"),
    life("跳江"),
    life("跳湖"),
    life("跳井"),
    life("跳崖"),
    life("跳水库"),
    life("卧轨"),
    life("自焚"),
    life("上吊"),
    life("割腕"),
    life("服毒"),
    life("喝农药"),
    life("喝敌敌畏"),
    life("喝百草枯"),
    life("喝老鼠药"),
    life("吃老鼠药"),
    life("吃安眠药"),
    life("吞安眠药"),
    life("不想活"),
    life("活不下去"),
    life("活不成"),
    life("不活了"),
    life("死给你"),
    life("死给他"),
    life("死在你们"),
    life("死在政府"),
    life("死在门口"),
    life("死在县"),
    life("死在镇"),
    life("一死了之"),
    life("以死相逼"),
    life("以死抗争"),
    life("以死明志"),
    life("死了算了"),
    life("不如死了"),
    life("不如去死"),
    life("命不要了"),
    life("这条命不要"),
    life("老命不要"),
    life("拿命"),
    life("同归于尽"),
    life("报复社会"),
    life("杀了他"),
    life("杀了她"),
    life("杀了你"),
    life("杀了他们"),
    life("砍死"),
    life("捅死"),
    life("弄死"),
    life("宰了他"),
    life("砍了他"),
    life("捅了他"),
    life("要他的命"),
    life("要他命"),
    life("浇汽油"),
    life("泼汽油"),
    life("带着汽油"),
    life("一桶汽油"),
    life("炸药"),
    life("放火烧"),
    life("点火烧"),
    life("跟他拼了"),
    life("跟他们拼了"),
    life("和他拼了"),
    life("和他们拼了"),
    life("拼个你死我活"),
    life_if_meant("喝药"),
    life_if_meant("想死"),
    life_if_meant("去死"),
    life_if_meant("跳下去"),
    life_if_meant("吊死"),
    life_if_meant("撞死"),
    order("拉横幅"),
    order("打横幅"),
    order("举横幅"),
    order("挂横幅"),
    order("拉条幅"),
    order("集体上访"),
    order("群体上访"),
    order("联名上访"),
    order("进京上访"),
    order("去北京上访"),
    order("到北京上访"),
    order("上北京"),
    order("进京"),
    order("去省里上访"),
    order("去市里上访"),
    order("越级上访"),
    order("静坐"),
    order("打砸"),
    order("冲击政府"),
    order("围攻"),
    order("聚众"),
    order("游行"),
    order("罢工"),
    order("闹事"),
    order("政府门口"),
    order("政府大门"),
    order("县委门口"),
    order("县委大门"),
    order_by_people("堵路"),
    order_by_people("堵国道"),
    order_by_people("堵高速"),
    order_by_people("堵公路"),
    order_by_people("堵马路"),
    order_by_people("拦路"),
    order_by_people("堵门"),
    order_by_people("堵大门"),
    order_by_people("围堵"),
    order_by_people("把路堵"),
    order_by_people("把大门堵"),
    order_by_people("把门堵"),
    order_by_people("堵了路"),
    order_by_people("上街"),
];

/// Words just before a phrase that take it back (不会跳楼, 没想过寻短见, 防止溺水).
const NEGATIONS: &[&str] = &[
    "不会",
    "不想",
    "不要",
    "不敢",
    "不打算",
    "不至于",
    "不可能",
    "不能",
    "不用",
    "不必",
    "没想",
    "没有",
    "没打算",
    "没说",
    "并没",
    "绝不",
    "决不",
    "从没",
    "从来没",
    "从未",
    "未曾",
    "别",
    "何必",
    "谁会",
    "防止",
    "预防",
    "防范",
    "严禁",
    "禁止",
    "劝",
    "不是要",
    "不是说要",
];

/// Words that may stand between a negation and its phrase (不会再去跳楼).
const FILLER: &str = "去再会要想过真的用说轻易随便就此也";

/// Words after a phrase that make it something else (跳楼价, 静坐式).
const NOT_AFTER: &[&str] = &[
    "价",
    "甩卖",
    "大甩卖",
    "清仓",
    "打折",
    "式",
    "率",
    "事件",
    "新闻",
    "电视剧",
    "游戏",
];

/// An intent before the ambiguous phrases (要喝药, 扬言去死).
const INTENT: &[&str] = &[
    "要",
    "就",
    "去",
    "准备",
    "打算",
    "扬言",
    "闹着",
    "威胁",
    "逼",
    "只能",
    "只好",
    "想",
    "宁愿",
    "干脆",
    "不如",
    "大不了",
    "我",
];

/// Where 喝药 means medicine (每天按时喝药, 中药).
const MEDICINE: &[&str] = &[
    "按时", "每天", "天天", "一天", "医", "病", "中药", "药费", "药价", "药钱", "打针", "住院",
    "吃药", "熬药", "感冒", "治疗", "药店", "买药", "开药", "咳嗽",
];

/// Things that block roads without meaning to (渣土车, 施工, 积雪).
const THINGS: &[&str] = &[
    "车", "施工", "工地", "摊", "货", "树", "雪", "水", "垃圾", "建材", "土", "石", "占道", "堵车",
    "拥堵", "下水", "管道", "马桶",
];

/// Who blocks roads on purpose.
const PEOPLE: &[&str] = &[
    "村民",
    "群众",
    "工人",
    "农民工",
    "我们",
    "咱们",
    "大家",
    "百姓",
    "业主",
    "居民",
    "人",
    "全村",
    "一起",
    "俺们",
    "去",
    "要",
    "准备",
];

/// Someone else's past, reported (去年有人跳河): not a threat made now.
const PAST_REPORT: &[&str] = &[
    "去年",
    "前年",
    "以前",
    "曾经",
    "上次",
    "之前有人",
    "新闻",
    "报道",
    "听说有人",
    "电视上",
    "网上说",
];

/// Clause boundaries.
fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '。' | '!' | '?' | ';' | '\n' | '.' | '…' | '~' | '、' | ',' | '，' | '！' | '？' | '；'
    )
}

fn ends_with_any(chars: &[char], words: &[&str]) -> Option<usize> {
    words.iter().find_map(|w| {
        let w: Vec<char> = w.chars().collect();
        chars.ends_with(&w).then_some(w.len())
    })
}

fn contains_any(chars: &[char], words: &[&str]) -> bool {
    let s: String = chars.iter().collect();
    words.iter().any(|w| s.contains(w))
}

/// Is the phrase taken back by what stands before it in its clause?
fn negated(before: &[char]) -> bool {
    let filler: Vec<char> = FILLER.chars().collect();
    let mut end = before.len();
    // Skip up to four filler characters, looking for a negation at each step.
    for _ in 0..=4 {
        if ends_with_any(&before[..end], NEGATIONS).is_some() {
            return true;
        }
        match before[..end].last() {
            Some(c) if filler.contains(c) => end -= 1,
            _ => return false,
        }
    }
    false
}

/// The threats in a text, in order.
pub fn threats(text: &str) -> Vec<RiskHit> {
    let chars: Vec<char> = normalize(text).chars().collect();
    let mut hits = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let end = chars[start..]
            .iter()
            .position(|c| is_boundary(*c))
            .map_or(chars.len(), |i| start + i);
        clause_threats(&chars[start..end], start, &mut hits);
        start = end + 1;
    }
    hits
}

fn clause_threats(clause: &[char], offset: usize, hits: &mut Vec<RiskHit>) {
    let mut covered = 0;
    let mut i = 0;
    while i < clause.len() {
        let found = PHRASES.iter().find(|p| {
            let mut cs = p.text.chars();
            let mut j = i;
            loop {
                match cs.next() {
                    None => return true,
                    Some(c) if j < clause.len() && clause[j] == c => j += 1,
                    Some(_) => return false,
                }
            }
        });
        let Some(p) = found else {
            i += 1;
            continue;
        };
        let len = p.text.chars().count();
        let (before, after) = (&clause[..i], &clause[i + len..]);
        let meant = match p.needs {
            Needs::Nothing => true,
            Needs::Intent => {
                contains_any(&before[before.len().saturating_sub(6)..], INTENT)
                    && !contains_any(clause, MEDICINE)
            }
            Needs::People => {
                contains_any(before, PEOPLE) && !contains_any(before, THINGS)
                    || before.is_empty() && !contains_any(after, THINGS)
            }
        };
        let taken_back = negated(before)
            || NOT_AFTER.iter().any(|w| {
                let w: Vec<char> = w.chars().collect();
                after.starts_with(&w)
            })
            || contains_any(before, PAST_REPORT);
        if meant && !taken_back && i >= covered {
            hits.push(RiskHit {
                kind: p.kind,
                phrase: p.text.to_owned(),
                at: offset + i,
            });
            covered = i + len;
        }
        i += len.max(1);
    }
}

/// Words that place a matter before a court, an arbitration or a procuratorate.
const LITIGATION: &[&str] = &[
    "法院",
    "判决",
    "判了",
    "裁定",
    "仲裁",
    "立案",
    "开庭",
    "败诉",
    "胜诉",
    "再审",
    "强制执行",
    "执行局",
    "申请执行",
    "执行款",
    "调解书",
    "上诉",
    "检察院",
    "抗诉",
    "诉讼",
    "起诉",
    "法官",
    "执行法官",
    "终本",
    "老赖",
    "失信被执行人",
];

/// Words before a court word that say it has not happened (要起诉, 建议去法院).
const NOT_YET: &[&str] = &[
    "要",
    "想",
    "准备",
    "打算",
    "建议",
    "让我去",
    "叫我去",
    "不想",
    "没钱",
    "不懂",
];

/// Is the matter litigation-related (涉法涉诉): already in or decided by a court,
/// arbitration or procuratorate?
pub fn litigation(text: &str) -> Option<String> {
    let chars: Vec<char> = normalize(text).chars().collect();
    chars.split(|c| is_boundary(*c)).find_map(|clause| {
        let s: String = clause.iter().collect();
        // The first court word of the clause, and what leads up to it.
        let (at, word) = LITIGATION
            .iter()
            .filter_map(|w| s.find(w).map(|at| (s[..at].chars().count(), *w)))
            .min()?;
        let before = &clause[at.saturating_sub(6)..at];
        let not_yet = contains_any(before, NOT_YET) || negated(before);
        (!not_yet).then(|| word.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds(text: &str) -> Vec<RiskKind> {
        threats(text).into_iter().map(|h| h.kind).collect()
    }

    #[test]
    fn threats_to_life_are_found_however_they_are_put() {
        for t in [
            "再不给钱我就从楼上跳下去",
            "工资再不发我就去跳楼",
            "我邻居说要喝农药",
            "俺不活了，你们看着办",
            "逼急了我这条命不要了",
            "他扬言要跟包工头同归于尽",
            "老人说要喝药",
            "不解决我就死在你们政府门口",
        ] {
            assert!(kinds(t).contains(&RiskKind::Life), "{t}: {:?}", threats(t));
        }
    }

    #[test]
    fn threats_to_order_are_found() {
        for t in [
            "村民们说明天要去堵路",
            "几十个工人准备拉横幅",
            "全村人要集体上访",
            "再不管我们就去北京上访",
            "明天我们一起去政府门口静坐",
        ] {
            assert!(kinds(t).contains(&RiskKind::Order), "{t}: {:?}", threats(t));
        }
    }

    #[test]
    fn what_only_looks_like_a_threat_is_not_one() {
        for t in [
            "我不会跳楼的，我就是想讨个说法",
            "我没想过寻短见，只想把钱要回来",
            "商场门口天天喇叭喊跳楼价，吵死了",
            "清仓跳楼大甩卖的广告贴满了电线杆",
            "我妈每天都要按时喝药，药价太贵",
            "早高峰堵车严重",
            "渣土车把路堵了，孩子上学过不去",
            "下水道堵了三天没人修",
            "去年隔壁县有人跳河，大家都很难过",
            "学校要加强防溺水安全教育",
            "热得要死，空调坏了",
            "施工单位堵路也不设标志",
        ] {
            assert!(threats(t).is_empty(), "{t}: {:?}", threats(t));
        }
    }

    #[test]
    fn a_threat_after_a_negated_clause_still_counts() {
        assert_eq!(
            kinds("我不会骂人，但是再不给钱我就去跳楼"),
            [RiskKind::Life]
        );
    }

    #[test]
    fn court_matters_are_litigation_and_plans_are_not() {
        assert_eq!(
            litigation("法院判决都下来两年了还没执行").as_deref(),
            Some("法院")
        );
        assert!(litigation("劳动仲裁裁决书下来了，公司不给钱").is_some());
        assert_eq!(litigation("我想起诉他们但是不懂"), None);
        assert_eq!(litigation("路灯坏了"), None);
        assert_eq!(litigation("他们让我去法院起诉"), None);
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panicking(s in "\\PC{0,200}") {
            let hits = threats(&s);
            let n = s.chars().count();
            for h in hits {
                prop_assert!(h.at < n);
            }
            let _ = litigation(&s);
        }
    }
}
