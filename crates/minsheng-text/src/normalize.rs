//! Normalisation: one character in, one character out, so that positions found in the
//! normalised text are positions in what the person wrote (snippets mark the original).
//!
//! Full-width letters, digits and punctuation become their ASCII forms, the ideographic
//! space a space, ASCII letters lower case, and the traditional characters common in
//! appeals their simplified forms (a table of single characters: cheap, and enough for
//! the words people use about heating, water, wages and land).

use std::sync::OnceLock;

/// Traditional → simplified, as pairs of characters.
const TRADITIONAL: &str = "們们個个這这來来時时為为說说對对國国會会學学麼么後后裡里開开關关無无與与種种還还\
點点現现發发見见從从沒没動动機机長长問问將将產产當当頭头實实東东車车業业區区應应\
經经過过錢钱給给進进幾几邊边樣样聽听讓让氣气電电話话號号樓楼門门間间題题處处辦办\
調调費费補补償偿錯错誤误熱热鍋锅爐炉壞坏斷断難难鄉乡鎮镇縣县書书記记單单傳传運运\
農农醫医藥药價价買买賣卖廠厂資资養养險险勞劳環环聲声髒脏燒烧汙污條条災灾遷迁帳账\
戶户證证級级層层網网絡络線线燈灯橋桥壓压質质務务衛卫診诊療疗護护師师員员領领導导\
幹干紀纪檢检舉举報报訴诉訟讼決决執执請请訪访據据權权義义標标準准聯联繫系續续確确\
認认嗎吗讀读寫写飯饭鄰邻歲岁兒儿孫孙媽妈爺爷婦妇隊队團团體体參参選选擇择戰战爭争\
術术該该隨随離离雖虽總总統统滿满營营談谈論论識识負负責责職职稱称銷销貸贷幣币額额\
銀银財财樹树園园場场蓋盖塊块龍龙鳥鸟魚鱼雞鸡豬猪紅红綠绿藍蓝黃黄麥麦糧粮飲饮潔洁\
淨净濕湿溫温礦矿鐵铁鋼钢響响嚴严厲厉遠远貨货購购雜杂態态惡恶爛烂齊齐腦脑亂乱傷伤\
殺杀鬥斗罰罚範范規规劃划圍围擁拥擠挤顧顾歡欢陽阳陰阴預预協协議议臨临啟启雙双圖图\
館馆測测試试賠赔糾纠紛纷徵征違违輛辆貪贪廣广幫帮濟济颱台颳刮鬧闹復复週周灣湾鎖锁\
閉闭際际織织構构歷历瀏浏覽览頁页驗验況况較较懷怀優优衝冲擾扰黨党勢势獎奖麵面飛飞\
樂乐組组寶宝貴贵賴赖顯显殘残廳厅廢废竊窃詐诈騙骗賭赌監监獄狱罷罢講讲謝谢\
減减謀谋賄贿賂赂剋克佔占夠够屬属歸归變变劉刘張张陳陈楊杨趙赵錄录遞递適适積积\
極极禮礼瀆渎濫滥欄栏撥拨莊庄蘇苏藉借貼贴腳脚鬆松臟脏擺摆攤摊販贩檔档稅税";

/// Normalises one character.
pub fn normalize_char(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => {
            // The full-width forms sit 0xFEE0 above their ASCII twins.
            let ascii = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
            ascii.to_ascii_lowercase()
        }
        'A'..='Z' => c.to_ascii_lowercase(),
        c if (c as u32) < 0x2E80 => c,
        c => simplified(c),
    }
}

fn simplified(c: char) -> char {
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let chars: Vec<char> = TRADITIONAL.chars().collect();
        let mut pairs: Vec<(char, char)> = chars.chunks(2).map(|p| (p[0], p[1])).collect();
        pairs.sort_unstable();
        pairs
    });
    match table.binary_search_by_key(&c, |(t, _)| *t) {
        Ok(i) => table[i].1,
        Err(_) => c,
    }
}

/// Normalises a text, character for character.
pub fn normalize(text: &str) -> String {
    text.chars().map(normalize_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_width_and_traditional_forms_are_folded() {
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(
            normalize("暖氣不熱，屋裡只有１２度"),
            "暖气不热,屋里只有12度"
        );
        assert_eq!(normalize("拖欠工資\u{3000}三個月"), "拖欠工资 三个月");
        assert_eq!(normalize("WiFi"), "wifi");
    }

    #[test]
    fn the_table_is_pairs_of_distinct_characters() {
        let chars: Vec<char> = TRADITIONAL.chars().collect();
        assert_eq!(chars.len() % 2, 0, "an odd character out in the table");
        for pair in chars.chunks(2) {
            // A pair of twins is harmless; a simplified form that maps further is not.
            assert_eq!(simplified(pair[1]), pair[1], "{} maps on", pair[1]);
        }
    }

    proptest! {
        #[test]
        fn normalising_keeps_the_number_of_characters(s in "\\PC{0,80}") {
            prop_assert_eq!(normalize(&s).chars().count(), s.chars().count());
        }

        #[test]
        fn normalising_twice_changes_nothing(s in "\\PC{0,80}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once.clone());
        }
    }
}
