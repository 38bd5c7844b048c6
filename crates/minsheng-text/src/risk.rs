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
use crate::urgency::{THRESHOLD, UrgencyModel};

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
    /// The words as written (normalised); for a model's judgement, the pair of
    /// characters that weighed most.
    pub phrase: String,
    /// Where they start, in characters.
    pub at: usize,
    /// Whether only the learnt model judged it (no phrase rule): to be checked.
    pub suspected: bool,
}

/// How a phrase must be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// It is a threat wherever it stands (unless taken back).
    Nothing,
    /// Only with an intent before it in the clause (要, 就, 准备, 扬言 …).
    Intent,
    /// Only when people, not things, are doing it (村民堵路, not 渣土车堵路).
    People,
}

/// The phrases, by kind and reading, space-separated (typos people make included).
const PHRASES: &[(RiskKind, Needs, &str)] = &[
    (
        RiskKind::Life,
        Needs::Nothing,
        "自杀 轻生 寻短见 寻死 求死 跳楼 跳河 跳江 跳湖 跳井 跳崖 跳水库 跳合 卧轨 自焚 上吊 \
         割腕 服毒 喝农药 喝农要 喝敌敌畏 喝百草枯 喝老鼠药 吃老鼠药 吃安眠药 吞安眠药 不想活 \
         活不下去 活不成 不活了 死给你 死给他 死在你们 死在政府 死在门口 死在县 死在镇 死在那 \
         死在这 死在他们 一死了之 以死相逼 以死抗争 以死明志 死了算了 不如死了 不如去死 命不要了 \
         这条命不要 老命不要 拿命 同归于尽 报复社会 杀了他 杀了她 杀了你 杀了我们 杀了他们 \
         砍死 捅死 打死他 打死她 打死你 弄死 宰了他 砍了他 捅了他 捅了那 砍人 捅人 杀人 行凶 \
         要他的命 要他命 浇汽油 泼汽油 带着汽油 一桶汽油 汽油都准备 汽油都备 炸药 放火烧 跟他拼了 \
         跟他们拼了 和他拼了 和他们拼了 找他拼命 找他们拼命 跟他拼命 跟他们拼命 拼个你死我活 \
         出人命 见血 流血了 遗书 快来人 着火 起火 失火 火苗 煤气味 燃气味 天然气味 \
         燃气泄漏 煤气泄漏 液化气泄漏 漏气 楼上跳下 楼顶跳下 桥上跳下 从楼上跳 从楼顶跳 不想或了 烧炭 点火烧了 放火烧了 炸了他 炸了村委会 炸了政府 kill myself suicide 活着还有啥意思 活着没意思 活着有什么意思 活够了 了结 \
         结束自己 结束生命 别找我 一起死 一起完蛋 偿命 去河头 跳下来 唔想再捱 抱着孩子跳",
    ),
    (
        RiskKind::Life,
        Needs::Intent,
        "喝药 想死 去死 跳下去 吊死 撞死 喝了",
    ),
    (
        RiskKind::Order,
        Needs::Nothing,
        "拉横幅 打横幅 举横幅 挂横幅 拉条幅 带上横幅 横幅都 集体上访 群体上访 联名上访 进京上访 \
         去北京上访 到北京上访 去省里上访 去市里上访 越级上访 静坐 打砸 冲击政府 围攻 聚众 游行 \
         罢工 政府门口 政府大门 县委门口 县委大门",
    ),
    (RiskKind::Order, Needs::Intent, "去北京 上北京 进京"),
    (
        RiskKind::Order,
        Needs::People,
        "堵路 堵国道 堵省道 堵高速 堵公路 堵马路 堵路口 拦路 堵门 堵大门 围堵 堵了路 上街",
    ),
];

/// Words just before a phrase that take it back (不会跳楼, 没想过寻短见, 防止溺水).
const NEGATIONS: &str = "万一哪天 不会 不想 不要 不敢 不打算 不至于 不可能 不能 不用 不必 不是 没想 \
    没有 没打算 没说 并没 绝不 决不 从没 从来没 从未 未曾 别 何必 谁会 \
    防止 预防 防范 严禁 禁止 劝 差点 险些 以免 避免 万一 容易 以防";

/// Words that may stand between a negation and its phrase (不会再去跳楼).
const FILLER: &str = "去再会要想过真的用说轻易随便就此也是";

/// Words after a phrase that make it something else (跳楼价, 聚众赌博, 救命钱).
const NOT_AFTER: &str = "的新闻 的报道 视频 价 甩卖 大甩卖 清仓 打折 式 率 事件 新闻 电视剧 游戏 赌博 吸毒 未遂 \
    求婚 庆祝 祝贺 宣传 广告 招聘 钱 也得 也没用 也不 器 灶 证";

/// An intent before the ambiguous phrases (要喝药, 扬言去死).
const INTENT: &str = "要 就 去 准备 打算 扬言 闹着 威胁 逼 只能 只好 想 宁愿 干脆 不如 \
    大不了 我 俺 明天 今天";

/// Where 喝药 means medicine (每天按时喝药, 中药).
const MEDICINE: &str = "按时 每天 天天 一天 医 病 中药 药费 药价 药钱 打针 住院 吃药 熬药 \
    感冒 治疗 药店 买药 开药 咳嗽 酒 水";

/// Things that block roads without meaning to (渣土车, 施工, 积雪).
const THINGS: &str = "车 施工 工地 摊 货 树 雪 水 垃圾 建材 土 石 占道 堵车 拥堵 下水 \
    管道 马桶 厕所 烟道 轮胎 车胎";

/// Who blocks roads on purpose.
const PEOPLE: &str = "村民 群众 工人 农民工 我们 咱们 大家 百姓 业主 居民 人 全村 一起 \
    俺们 去 要 准备 家长 工友";

/// Someone else's past, reported (去年有人跳河), or the appellant's own, over.
const PAST_REPORT: &str = "让我 叫我 上周 上礼拜 上星期 让我去 叫我去 骂我 骂道 去年 前年 以前 曾经 上次 之前 有一次 那次 上个月 新闻 报道 听说有人 \
    电视上 网上说";

/// Said and taken back in the same sentence (开玩笑的).
const RETRACTED: &str = "不参与 我不去 不跟着 开玩笑 说着玩 气话 说说而已 玩笑话";

/// A crowd: five people or more (几十个, 上百人, 全村老少, 一家老小).
const CROWDS: &str = "几十 上百 一百多 二百多 两百多 几百 数十 上千 全村 一家老小 全家老小 \
    一家五口 一家六口 一家七口 一家八口 几十口 村民们 工友们 家长们 业主们 \
    债权人 乡亲们 一群人 一大帮";

/// What a crowd does that turns a grievance into an incident (堵, 围, 横幅, 坐着不走),
/// or where it goes.
const CROWD_ACTIONS: &str = "不散 不让 聚到 聚在 横在 拦着 堵着 堵了 堵住 堵在 去堵 要堵 把路堵 围了 围住 围着 围在 围堵 \
    横幅 静坐 坐着 不走 上访 讨说法 冲进 闹";
const DESTINATIONS: &str = "政府 县委 市委 纪委 北京 省里 市里 县里 中院 法院 局 公司 门口 大门 \
    工地 厂 学校 信访 办公室 派出所";

/// Words that together, in one sentence, signal danger to someone now: a weapon held
/// to hurt, a live wire down, a collapse or a flood with people in it, someone trapped,
/// unconscious or lost, a gas leak, a machine keeping someone alive without power, a
/// person at a height or a river saying goodbye.
const TOGETHER: &[(&str, &str)] = &[
    (
        "刀 斧 棍 棒子 砖头 锤 铁锹 镰刀 扳手",
        "砍人 砍他 砍你 捅 晃 偿命 完蛋 带来了 揣 拼了 打起来 打架 追着 行凶 伤人 杀",
    ),
    ("汽油 煤气罐", "点了 点火 烧了 一块儿烧 同归"),
    ("电线 电线杆 高压线 电缆", "火星 冒火 打火 电着 着了"),
    (
        "塌了 倒塌 塌方 垮了",
        "老人 孩子 没抬出来 埋 压着 压在 被压 砸",
    ),
    (
        "困在 被困 卡在 关在 出不来 关着个",
        "老人 老太太 孩子 娃 小孩 里面 里头",
    ),
    ("漫过 淹了 淹到 洪水 水已经到", "困 老人 孩子 人"),
    (
        "叫不应 口吐白沫 昏迷 晕倒 不省人事 没气了 没有呼吸 躺地上起不来",
        "人 老人 师傅 孩子 老太太 男的 女的 大爷",
    ),
    (
        "走失 没回来 找不到人 找不着人 找不到他 找不到她 失踪 走丢",
        "老人 痴呆 孩子 娃 老太太 老爷子 小孩",
    ),
    ("制氧机 呼吸机 透析", "停电 断电 黑了 没电 撑"),
    ("臭鸡蛋味 嘶嘶 煤气 燃气 液化气 天然气", "漏 味儿 冲鼻 泄"),
    ("砰 爆炸 炸了", "伤 烫 躺 起不来 流血"),
    ("烫伤 被烫 烧伤", "躺 起不来 救护车 120"),
    ("对不起", "别找我 永别 下辈子 再见了 走了 桥上 天台 楼顶"),
    ("攒", "安眠药 药都"),
    (
        "天台 楼顶 塔吊 桥上 大桥上 河边 江边",
        "跳 了结 别找我 对不起 不想活",
    ),
];

/// The same threats written in pinyin.
const PINYIN: &str = "bu xiang huo|buxianghuo|tiao lou|tiaolou|zi sha|zisha|bu huo le|tiao he";

/// Poisons that, with drinking ahead (就喝了), are a threat to one's own life.
const POISONS: &str = "敌敌畏 百草枯 农药 老鼠药 安眠药";

/// A person alone and not seen (三四天没见, 敲门没人应).
const UNSEEN: &str = "没人应 没人开门 没见他出门 没见她出门 好几天没见";
const ALONE: &str = "老人 大爷 大娘 独居 一个人住 五保 老太太 老头";

/// Clause boundaries (a negation or a subject does not reach past them).
fn is_boundary(c: char) -> bool {
    matches!(c, ',' | '、' | ' ') || ends_sentence(c)
}

/// Sentence boundaries.
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '!' | '?' | ';' | '\n' | '.' | '…' | '~')
}

fn ends_with_any(chars: &[char], words: &str) -> Option<usize> {
    words.split_whitespace().find_map(|w| {
        let w: Vec<char> = w.chars().collect();
        chars.ends_with(&w).then_some(w.len())
    })
}

fn contains_any(chars: &[char], words: &str) -> bool {
    let s: String = chars.iter().collect();
    words.split_whitespace().any(|w| s.contains(w))
}

/// Is the phrase taken back by what stands before it in its clause?
fn negated(before: &[char]) -> bool {
    // 不堵路, 没跳; and 不是…的 over the whole clause (我又不是去闹事堵门的).
    if matches!(before.last(), Some('不' | '没')) || contains_any(before, "不是") {
        return true;
    }
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

struct Phrase {
    kind: RiskKind,
    needs: Needs,
    chars: Vec<char>,
}

/// The phrases by their first character, longest first.
fn by_first_char() -> &'static std::collections::HashMap<char, Vec<&'static Phrase>> {
    static P: std::sync::OnceLock<std::collections::HashMap<char, Vec<&'static Phrase>>> =
        std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut index: std::collections::HashMap<char, Vec<&'static Phrase>> =
            std::collections::HashMap::new();
        for p in phrases() {
            if let Some(c) = p.chars.first() {
                index.entry(*c).or_default().push(p);
            }
        }
        index
    })
}

fn phrases() -> &'static [Phrase] {
    static P: std::sync::OnceLock<Vec<Phrase>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut all: Vec<Phrase> = PHRASES
            .iter()
            .flat_map(|(kind, needs, list)| {
                list.split_whitespace().map(|w| Phrase {
                    kind: *kind,
                    needs: *needs,
                    chars: w.chars().collect(),
                })
            })
            .collect();
        // Longest first, so 喝农药 is read before 喝了 could be.
        all.sort_by_key(|p| std::cmp::Reverse(p.chars.len()));
        all
    })
}

/// The threats in a text: what the phrase rules find, or, when they find nothing, what
/// the model learnt from the shipped labelled appeals judges urgent.
pub fn threats(text: &str) -> Vec<RiskHit> {
    threats_with(text, UrgencyModel::shipped())
}

/// [`threats`] with another model (to measure one trained on part of the examples).
pub fn threats_with(text: &str, model: &UrgencyModel) -> Vec<RiskHit> {
    let hits = rule_threats(text);
    if !hits.is_empty() || model.probability(text) <= THRESHOLD {
        return hits;
    }
    let normalized = normalize(text);
    let kind = if ORDER_CUES
        .split_whitespace()
        .any(|c| normalized.contains(c))
    {
        RiskKind::Order
    } else {
        RiskKind::Life
    };
    let phrase = model.strongest(text).unwrap_or_default();
    let at = normalized
        .find(&phrase)
        .map_or(0, |b| normalized[..b].chars().count());
    vec![RiskHit {
        kind,
        phrase,
        at,
        suspected: true,
    }]
}

/// Words that make an urgent appeal a matter of public order rather than of a life.
const ORDER_CUES: &str =
    "堵 围 横幅 上访 聚 静坐 北京 省里 一百 几十 上百 号人 多人 群众 村民们 工友";

/// What the phrase rules find, in order of where it stands.
pub fn rule_threats(text: &str) -> Vec<RiskHit> {
    let chars = joined_between_hanzi(&normalize(text));
    let mut hits = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let end = chars[start..]
            .iter()
            .position(|c| ends_sentence(*c))
            .map_or(chars.len(), |i| start + i);
        sentence_threats(&chars, start, end, &mut hits);
        start = end + 1;
    }
    whole_text_threats(&chars, &mut hits);
    hits.sort_by_key(|h| h.at);
    hits.dedup_by_key(|h| h.at);
    hits
}

/// The text's characters with the spaces and line breaks between two Chinese
/// characters taken out, as transcripts and hurried typing put them inside words
/// (我要跳 楼); spaces between Latin letters (pinyin) stay.
fn joined_between_hanzi(text: &str) -> Vec<char> {
    let hanzi = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    for (i, c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let before = out.last().copied();
            let after = chars[i + 1..].iter().find(|c| !c.is_whitespace()).copied();
            if before.is_some_and(hanzi) && after.is_some_and(hanzi) {
                continue;
            }
        }
        out.push(*c);
    }
    out
}

fn sentence_threats(text: &[char], start: usize, end: usize, hits: &mut Vec<RiskHit>) {
    let sentence = &text[start..end];
    // Taken back (开玩笑的), unless the taking back is itself denied (不是开玩笑).
    let text: String = sentence.iter().collect();
    let retracted = RETRACTED.split_whitespace().any(|w| {
        text.match_indices(w).any(|(at, _)| {
            let before: Vec<char> = text[..at].chars().collect();
            !negated(&before) && !before.ends_with(&['不', '是']) && !before.ends_with(&['不'])
        })
    });
    if retracted {
        return;
    }
    let mut clause_start = 0;
    for i in 0..=sentence.len() {
        if i == sentence.len() || is_boundary(sentence[i]) {
            clause_threats(sentence, clause_start, i, start, hits);
            clause_start = i + 1;
        }
    }
    let hit = |kind, phrase: &str, at: usize| RiskHit {
        kind,
        phrase: phrase.to_owned(),
        at: start + at,
        suspected: false,
    };
    // A crowd that goes somewhere or blocks something.
    if let Some(at) = crowd(sentence) {
        let after = &sentence[at..];
        let acts = contains_any(sentence, CROWD_ACTIONS)
            || ["去", "到", "上"].iter().any(|g| {
                let s: String = after.iter().collect();
                s.match_indices(g).any(|(i, _)| {
                    let rest: String = s[i..].chars().take(10).collect();
                    !rest.starts_with("去年")
                        && DESTINATIONS.split_whitespace().any(|d| rest.contains(d))
                })
            });
        let past = contains_any(&sentence[..at], PAST_REPORT) || contains_any(sentence, "劝回");
        if acts && !past {
            hits.push(hit(RiskKind::Order, "聚集", at));
        }
    }
    // Danger now, told by two things together.
    let sentence_text: String = sentence.iter().collect();
    let has = |list: &str| list.split_whitespace().any(|w| sentence_text.contains(w));
    for (one, other) in TOGETHER {
        if has(one) && has(other) {
            let at = one
                .split_whitespace()
                .filter_map(|w| sentence_text.find(w))
                .min()
                .unwrap_or(0);
            let before: Vec<char> = sentence_text[..at].chars().collect();
            let clause = before
                .iter()
                .rposition(|c| is_boundary(*c))
                .map_or(&before[..], |b| &before[b + 1..]);
            if !negated(clause) && !contains_any(sentence, PAST_REPORT) {
                hits.push(hit(
                    RiskKind::Life,
                    one.split_whitespace().next().unwrap_or(""),
                    before.len(),
                ));
                break;
            }
        }
    }
    // 把X堵了, 把X围了, done by people (not by a lorry or a blocked drain).
    for (i, c) in sentence.iter().enumerate() {
        if *c != '把' {
            continue;
        }
        let window = &sentence[i..(i + 9).min(sentence.len())];
        if let Some(j) = window.iter().position(|c| *c == '堵' || *c == '围') {
            let clause_from = sentence[..i]
                .iter()
                .rposition(|c| is_boundary(*c))
                .map_or(0, |b| b + 1);
            let subject = &sentence[clause_from..i];
            let object = &window[1..j];
            let people = contains_any(&sentence[..i], PEOPLE) || subject.is_empty();
            if people
                && !contains_any(&sentence[..i], THINGS)
                && !contains_any(object, "下水 管 厕所")
            {
                hits.push(hit(RiskKind::Order, "堵", i + j));
            }
        }
    }
}

/// Where a crowd of five or more is named in a sentence.
fn crowd(sentence: &[char]) -> Option<usize> {
    let s: String = sentence.iter().collect();
    if let Some(at) = CROWDS.split_whitespace().filter_map(|w| s.find(w)).min() {
        return Some(s[..at].chars().count());
    }
    // A counted group: 四十多个工友, 五十多个人, 12名工人.
    const NUMERALS: &str = "0123456789一二两三四五六七八九十百千几";
    for (i, c) in sentence.iter().enumerate() {
        if !matches!(c, '个' | '名' | '户' | '位' | '口' | '号' | '辆') || i == 0 {
            continue;
        }
        let mut j = i;
        while j > 0 && matches!(sentence[j - 1], '多' | '来') {
            j -= 1;
        }
        let mut k = j;
        while k > 0 && NUMERALS.contains(sentence[k - 1]) {
            k -= 1;
        }
        let number: String = sentence[k..j].iter().collect();
        let enough = number.contains(['十', '百', '千'])
            || number.chars().any(|d| "五六七八九".contains(d))
            || number.parse::<u32>().is_ok_and(|n| n >= 5);
        let people_after = sentence[i + 1..]
            .iter()
            .take(3)
            .collect::<String>()
            .starts_with([
                '人', '工', '家', '村', '业', '农', '学', '职', '员', '老', '群',
            ]);
        if k < j
            && enough
            && (people_after
                || matches!(c, '户' | '名' | '口' | '辆')
                || sentence[i + 1..].starts_with(&['人']))
        {
            return Some(k);
        }
    }
    None
}

/// What only the whole text shows: a poison brought along and drinking ahead, a person
/// alone and not seen for days.
fn whole_text_threats(text: &[char], hits: &mut Vec<RiskHit>) {
    let s: String = text.iter().collect();
    if let Some(at) = POISONS.split_whitespace().filter_map(|p| s.find(p)).min() {
        let after = &s[at..];
        let drinking = [
            "就喝",
            "喝了",
            "喝下去",
            "要喝",
            "准备喝",
            "揣",
            "拧开",
            "带着",
            "拿着",
        ]
        .iter()
        .any(|w| after.contains(w));
        let person = ["我", "俺", "他", "她", "爹", "妈", "老人", "老伴"]
            .iter()
            .any(|w| s.contains(w));
        if drinking && person && !after.contains('卖') {
            hits.push(RiskHit {
                kind: RiskKind::Life,
                phrase: "农药".into(),
                at: s[..at].chars().count(),
                suspected: false,
            });
        }
    }
    if PINYIN.split('|').any(|p| s.contains(p)) {
        hits.push(RiskHit {
            kind: RiskKind::Life,
            phrase: "pinyin".into(),
            at: 0,
            suspected: false,
        });
    }
    if contains_any(text, UNSEEN) && contains_any(text, ALONE) {
        hits.push(RiskHit {
            kind: RiskKind::Life,
            phrase: "独居无应答".into(),
            at: 0,
            suspected: false,
        });
    }
}

fn clause_threats(
    sentence: &[char],
    from: usize,
    to: usize,
    offset: usize,
    hits: &mut Vec<RiskHit>,
) {
    let clause = &sentence[from..to];
    let mut i = 0;
    while i < clause.len() {
        let Some(p) = by_first_char()
            .get(&clause[i])
            .and_then(|ps| ps.iter().find(|p| clause[i..].starts_with(&p.chars)))
        else {
            i += 1;
            continue;
        };
        let len = p.chars.len();
        let (before, after) = (&clause[..i], &clause[i + len..]);
        let near = &before[before.len().saturating_sub(8)..];
        let meant = match p.needs {
            Needs::Nothing => true,
            Needs::Intent => contains_any(near, INTENT) && !contains_any(clause, MEDICINE),
            Needs::People => {
                let subject = &sentence[..from + i];
                (contains_any(subject, PEOPLE) || before.is_empty())
                    && !contains_any(before, THINGS)
                    && !contains_any(after, THINGS)
            }
        };
        // Hyperbole: 臭得人想上吊, 热得要死.
        let hyperbole = before.iter().rev().take(4).any(|c| *c == '得');
        let taken_back = negated(before)
            || NOT_AFTER.split_whitespace().any(|w| {
                let w: Vec<char> = w.chars().collect();
                after.starts_with(&w)
            })
            || contains_any(before, PAST_REPORT)
            || hyperbole;
        if meant && !taken_back {
            hits.push(RiskHit {
                kind: p.kind,
                phrase: p.chars.iter().collect(),
                at: offset + from + i,
                suspected: false,
            });
        }
        i += len.max(1);
    }
}

/// Words that place a matter before a court, an arbitration or a procuratorate.
const LITIGATION: &str = "官司打了 官司输了 官司赢了 打完官司 法院 判决 判了 裁定 仲裁 立案 开庭 败诉 胜诉 再审 强制执行 执行局 \
    申请执行 执行款 调解书 上诉 检察院 抗诉 诉讼 起诉 法官 执行法官 终本 \
    老赖 失信被执行人";

/// Words before a court word that say it has not happened (要起诉, 建议去法院).
const NOT_YET: &str = "要 想 准备 打算 建议 让我去 叫我去 不想 没钱 不懂";

/// Is the matter litigation-related (涉法涉诉): already in or decided by a court,
/// arbitration or procuratorate?
pub fn litigation(text: &str) -> Option<String> {
    let chars: Vec<char> = normalize(text).chars().collect();
    chars.split(|c| is_boundary(*c)).find_map(|clause| {
        let s: String = clause.iter().collect();
        // The first court word of the clause, and what leads up to it.
        let (at, word) = LITIGATION
            .split_whitespace()
            .filter_map(|w| s.find(w).map(|at| (s[..at].chars().count(), w)))
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
            "我要跳 楼",
            "再不给钱我就喝\n农药",
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
