//! Accusations (举报): whether an appeal accuses officials, and which offices it names,
//! so that those offices stand aside (回避) and never handle or read it. Pure: the
//! offices and their names come in as arguments.
//!
//! Erring towards naming an office costs a dispatcher one manual placement; erring the
//! other way hands an accusation to the accused. So any office a name of which appears
//! in an accusing text is taken as accused.

use crate::normalize::normalize;

/// What makes a text an accusation: accusing verbs and the wrongdoing people name.
/// Space-separated (one list that formatting keeps on one line).
const ACCUSING: &str = "举报 检举 揭发 告发 控告 实名反映 贪污 受贿 索贿 行贿 挪用 截留 \
    克扣 侵吞 私分 冒领 虚报 吃拿卡要 索要 好处费 回扣 红包 收受 收钱办事 优亲厚友 \
    以权谋私 打击报复 违纪 违法乱纪 腐败 徇私 包庇 保护伞 权钱交易 雁过拔毛 吃空饷 \
    公款吃喝 私自占用 骗取 偷工减料 暗箱操作 内定 围标 串标 不作为 乱作为 黑钱 勾结 \
    暴力执法 打人 敲诈 勒索 贪了 私吞 中饱私囊 滥用职权 玩忽职守 刁难 吃回扣 收礼 送礼 \
    塞钱 要钱 给钱才 不给钱 走后门 关系户 黑恶 充公 违规审批";

/// Two words near each other that name a wrongdoing together (收…钱: 收了开发商的钱),
/// at most [`NEAR`] characters apart (`first+second`).
const TOGETHER: &str = "收+钱 拿+钱 收+礼 要+好处 拿+好处";
const NEAR: usize = 8;

/// How people shorten a part of an office's name (`long>short`): 住房和城乡建设局 is
/// 住建局.
const SHORTER: &str = "住房和城乡建设>住建 城市管理>城管 人力资源和社会保障>人社 \
    发展和改革>发改 市场监督管理>市场监管 卫生健康>卫健 卫生健康>卫生 教育和体育>教体 \
    教育和体育>教育 交通运输>交通 生态环境分局>环保局 生态环境分局>生态环境局 \
    生态环境>环保 农业农村>农业 自然资源>国土 房屋征收与补偿服务中心>征收办 \
    房屋征收与补偿服务中心>征收中心 政府办公室>政府办 纪委监委>纪委 民政>民政 \
    人民政府>政府 街道办事处>街道办";

/// Words that name an office by itself, or its staff (`part-of-name>word`): a text
/// naming 派出所 or 民警 accuses the public security bureau.
const STAFF_WORDS: &str = "公安>派出所 公安>警察 公安>民警 公安>交警 公安>辅警 公安>片警 \
    公安>公安 城市管理>城管 住房和城乡建设>住建 住房和城乡建设>建设局 住房和城乡建设>房管局 \
    市场监督管理>市场监管 市场监督管理>市监所 市场监督管理>工商所 市场监督管理>工商局 \
    市场监督管理>工商 自然资源>国土所 自然资源>自然资源所 自然资源>国土 \
    人力资源和社会保障>人社 人力资源和社会保障>社保局 人力资源和社会保障>劳动局 \
    人力资源和社会保障>劳动监察 生态环境>环保 交通运输>运管 交通运输>交通局 卫生健康>卫健委 \
    纪委监委>纪委 纪委监委>监委 街道办事处>街道办";

/// How people name the government of their own township, or its officials.
pub const TOWNSHIP_OFFICIALS: &str = "镇政府 乡政府 街道办 镇里干部 乡里干部 镇干部 乡干部 \
    镇领导 乡领导 镇长 乡长 副镇长 副乡长 镇党委 乡党委 镇委 镇书记 乡书记 街道干部 \
    街道领导 包村干部";

/// How people name the committee of their own village or community, or its members.
pub const VILLAGE_OFFICIALS: &str = "村委会 村委 村两委 村干部 村支书 村书记 村支部 村主任 \
    村长 村会计 村官 村监委 支书 居委会 社区干部 社区书记 社区主任 网格员";

/// Words before a name that make it the one asked to act (请城管部门处理, 请求交警查处),
/// not the one accused.
const ASKING: &str =
    "请 请求 恳请 希望 要求 麻烦 督促 转给 交给 提请 建议 通知 报告给 我是 我们是 本人是";

/// Words after a name that make it the one asked to act (住建局能不能帮忙, 交警来处理了)
/// or only a landmark (住建局门口的路, 派出所旁边的学校), not the one accused.
const AFTER: &str = "能不能 能否 帮忙 帮我 帮助 帮帮 给个说法 讨个说法 管一管 管管 去查 查一查 查查 \
    来处理 去处理 出面 核实 调查一下 协调 门口 宿舍 家属院 家属楼 旁边 附近 对面 楼下 后面 \
    前面 大院 院里 院内 隔壁 东侧 西侧 南侧 北侧 路口 斜对面";

/// Words that may stand between an asking word and the name (请有关部门, 请县住建局,
/// 请求交警和路政部门).
const BETWEEN: &str = "有关 相关 县里 县 当地 上级 你们 贵 的 和 及 与 、";

/// An office that may be named: its id and the names people call it by (normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    /// The unit's id.
    pub id: i64,
    /// Its names, as [`office_names`] and the local official words give them.
    pub names: Vec<String>,
}

/// Whether the text accuses someone: an accusing verb or a wrongdoing is named.
pub fn accuses(text: &str) -> bool {
    let text = squeeze(text);
    ACCUSING.split_whitespace().any(|w| text.contains(w))
        || pairs_of(TOGETHER, '+').any(|(a, b)| {
            text.match_indices(a).any(|(at, _)| {
                text[at + a.len()..]
                    .chars()
                    .take(NEAR)
                    .collect::<String>()
                    .contains(b)
            })
        })
}

/// The names people use for an office called `name`: the name itself, without its
/// county prefix and parenthesis, in the common short forms, and the words that name
/// its staff. Names under three characters are dropped unless they are staff words
/// (派出所, 城管), as they would match too much.
pub fn office_names(name: &str) -> Vec<String> {
    let full = normalize(name.trim());
    let bare = strip_prefix(strip_parenthesis(&full));
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String, short_ok: bool| {
        if (short_ok || s.chars().count() >= 3) && !out.contains(&s) {
            out.push(s);
        }
    };
    add(full.clone(), false);
    add(bare.to_owned(), false);
    for (long, short) in pairs(SHORTER) {
        if bare.contains(long) {
            let s = bare.replace(long, short);
            add(s.clone(), false);
            for (long2, short2) in pairs(SHORTER) {
                if s.contains(long2) {
                    add(s.replace(long2, short2), false);
                }
            }
        }
    }
    for (part, word) in pairs(STAFF_WORDS) {
        if bare.contains(part) {
            add(word.to_owned(), true);
        }
    }
    // A village committee by its village: 东关村委会, 东关村干部.
    let village = ["村民委员会", "居民委员会", "村委会", "居委会"]
        .iter()
        .find_map(|e| bare.strip_suffix(e));
    if let Some(v) = village.filter(|v| v.chars().count() >= 2) {
        for w in VILLAGE_OFFICIALS.split_whitespace() {
            if w.starts_with('村') || w.starts_with('居') {
                let stem = v.strip_suffix('村').unwrap_or(v);
                add(format!("{stem}{w}"), false);
            }
        }
    }
    out
}

/// The offices the text names other than as the one asked to act (请城管部门核实处理
/// names 城管 as who should act, not whom it accuses), in `offices` order, each once.
pub fn named_offices(text: &str, offices: &[Office]) -> Vec<i64> {
    let text = squeeze(text);
    let mut out = Vec::new();
    for o in offices {
        let named = o.names.iter().any(|n| {
            text.match_indices(n.as_str()).any(|(at, _)| {
                !asked_to_act(&text[..at]) && !acting_or_landmark(&text[at + n.len()..])
            })
        });
        if named && !out.contains(&o.id) {
            out.push(o.id);
        }
    }
    out
}

/// Whether the text just after a name makes it the helper asked for or a landmark.
fn acting_or_landmark(after: &str) -> bool {
    // A short name may stand before the rest of the office's name (人社 in 人社局).
    let after = after.trim_start_matches(['局', '所', '队']);
    let after = after.strip_prefix("部门").unwrap_or(after);
    let after = after.strip_prefix('的').unwrap_or(after);
    AFTER.split_whitespace().any(|w| after.starts_with(w))
}

/// Whether the text just before a name asks that office to act.
fn asked_to_act(before: &str) -> bool {
    let mut rest = before;
    // A few fillers at most (请求交警和路政部门: 和 and the name before it).
    for _ in 0..4 {
        if ASKING.split_whitespace().any(|w| rest.ends_with(w)) {
            return true;
        }
        match BETWEEN
            .split_whitespace()
            .find_map(|w| rest.strip_suffix(w))
        {
            Some(r) => rest = r,
            None => break,
        }
    }
    false
}

/// The text normalised, with only its letters, digits and characters: the spaces,
/// line breaks and marks people and transcripts put inside names (住 建 局, 住-建-局)
/// go.
fn squeeze(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn pairs(table: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    pairs_of(table, '>')
}

fn pairs_of(table: &'static str, by: char) -> impl Iterator<Item = (&'static str, &'static str)> {
    table
        .split_whitespace()
        .filter_map(move |p| p.split_once(by))
}

fn strip_parenthesis(s: &str) -> &str {
    s.find(['（', '(']).map_or(s, |at| &s[..at]).trim()
}

fn strip_prefix(s: &str) -> &str {
    ["县委", "县", "区委", "区", "市"]
        .iter()
        .find_map(|p| s.strip_prefix(p).filter(|r| r.chars().count() >= 3))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn offices() -> Vec<Office> {
        let mut v: Vec<Office> = [
            (1, "县住房和城乡建设局"),
            (2, "县城市管理局"),
            (3, "县公安局"),
            (4, "县委群众工作部（12345热线）"),
            (5, "县人力资源和社会保障局"),
            (6, "县生态环境分局"),
            (7, "柳林镇人民政府"),
            (8, "东关村村民委员会"),
        ]
        .into_iter()
        .map(|(id, name)| Office {
            id,
            names: office_names(name),
        })
        .collect();
        // The appeal is placed in 柳林镇东关村: its own township and village officials.
        v[6].names
            .extend(TOWNSHIP_OFFICIALS.split_whitespace().map(String::from));
        v[7].names
            .extend(VILLAGE_OFFICIALS.split_whitespace().map(String::from));
        v
    }

    #[test]
    fn office_names_are_the_ones_people_use() {
        let n = office_names("县住房和城乡建设局");
        for want in ["县住房和城乡建设局", "住房和城乡建设局", "住建局", "住建"]
        {
            assert!(n.iter().any(|x| x == want), "{want} in {n:?}");
        }
        assert!(office_names("县城市管理局").iter().any(|x| x == "城管"));
        assert!(office_names("县公安局").iter().any(|x| x == "派出所"));
        let gov = office_names("柳林镇人民政府");
        assert!(gov.iter().any(|x| x == "柳林镇政府"), "{gov:?}");
        let vc = office_names("东关村村民委员会");
        assert!(vc.iter().any(|x| x == "东关村委会"), "{vc:?}");
        assert!(vc.iter().any(|x| x == "东关村干部"), "{vc:?}");
        // Nothing shorter than three characters but staff words.
        assert!(office_names("县委").iter().all(|x| x.chars().count() >= 2));
    }

    /// Hand-labelled: (text, accusing?, offices named).
    const LABELLED: &[(&str, bool, &[i64])] = &[
        ("我实名举报住建局王科长收受开发商好处费", true, &[1]),
        ("举报柳林镇政府违规征地，补偿款被截留", true, &[7]),
        ("村支书把低保名额给了自己亲戚，优亲厚友", true, &[8]),
        ("东关村干部私分集体土地补偿款，请纪委查处", true, &[8]),
        ("城管队员收红包，不收钱的摊贩就被赶走", true, &[2]),
        ("派出所民警包庇赌博窝点，群众敢怒不敢言", true, &[3]),
        ("镇长的亲戚承包工程偷工减料，镇里干部都知道", true, &[7]),
        ("人社局 工作人员吃拿卡要，办个社保卡要三趟", true, &[5]),
        ("举报环保局对化工厂偷排睁一只眼闭一只眼", true, &[6]),
        ("举报隔壁饭店油烟扰民，晚上十点还在炒菜", true, &[]),
        ("小区暖气不热，屋里只有十二度，请住建局帮忙协调", false, &[]),
        ("请问孩子上学的户口迁移去哪个派出所办理", false, &[3]),
        ("村委会门口的路灯坏了三个月了", false, &[8]),
        ("热水器坏了，物业不给修", false, &[]),
        ("市民来电举报人行道违章搭建，请城管部门核实处理", true, &[]),
        ("来电人举报货车长期超载，请求交警和路政部门查处", true, &[]),
        ("举报城管队员收红包，请城管局查处", true, &[2]),
        ("请纪委查处村干部冒领补贴的问题", true, &[8]),
        ("每次办房产证都要向住建局的王科长送红包", true, &[1]),
        ("好处费由住建局王科长收取，不给不办", true, &[1]),
        ("住建局王科长收了开发商的钱，违建照样批", true, &[1]),
        ("城管暴力执法，还打人", true, &[2]),
        ("公安局的警察收黑钱", true, &[3]),
        ("住-建-局以權謀私", true, &[1]),
        (
            "老板拖欠三个月工资，克扣加班费，人社局能不能帮我们讨个说法",
            true,
            &[],
        ),
        ("举报：住建局门口的马路上有个井盖丢了", true, &[]),
        ("举报工地偷工减料，住建局去查一查", true, &[]),
        ("我是城管队员，举报摊贩占道", true, &[]),
        ("过年发红包的时候孩子被电动车撞了，交警来处理了", true, &[]),
    ];

    #[test]
    fn accusations_and_the_offices_they_name() {
        let offices = offices();
        for (text, accusing, named) in LABELLED {
            assert_eq!(accuses(text), *accusing, "{text}");
            assert_eq!(named_offices(text, &offices), named.to_vec(), "{text}");
        }
        // Traditional characters and full-width forms are read the same.
        assert!(accuses("實名舉報"));
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_failing(text in "\\PC{0,200}") {
            let offices = offices();
            let named = named_offices(&text, &offices);
            prop_assert!(named.iter().all(|id| offices.iter().any(|o| o.id == *id)));
            let _ = accuses(&text);
        }
    }
}
