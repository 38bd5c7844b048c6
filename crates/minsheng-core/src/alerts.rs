//! Early warning: the signals an appeal carries when it comes in (a threat to a life or
//! to public order, a group, an appellant who keeps coming back) and the alert each
//! raises, with its level and reason. Which signals a text carries is read elsewhere
//! (`minsheng-text`); what they mean for the duty desk is decided here.

use serde::{Deserialize, Serialize};

use crate::i18n::{Explain, Lang, pick};

labelled_enum! {
    /// What raised an alert.
    AlertRule {
        /// Words threatening a life (自杀, 跳楼, 喝农药 …) or danger to someone now.
        LifeSafety = "life_safety", "危及生命", "threat to life";
        /// Words threatening public order (堵路, 拉横幅, 集体上访 …).
        PublicOrder = "public_order", "扰乱秩序", "threat to public order";
        /// A collective visit or group appeal.
        Collective = "collective", "集体访", "collective visit";
        /// One appellant, many appeals in a short time.
        Repeat = "repeat", "重复来访", "repeat appellant";
        /// Many similar appeals in one place and time.
        Cluster = "cluster", "诉求聚集", "cluster of appeals";
        /// A category's daily count far above its own baseline.
        Surge = "surge", "数量激增", "surge";
    }
}

labelled_enum! {
    /// How urgent, as Chinese emergency plans grade it.
    AlertLevel {
        /// 蓝色
        Blue = "blue", "蓝色", "blue";
        /// 黄色
        Yellow = "yellow", "黄色", "yellow";
        /// 橙色
        Orange = "orange", "橙色", "orange";
        /// 红色
        Red = "red", "红色", "red";
    }
}

labelled_enum! {
    /// Where an alert stands.
    AlertState {
        /// Raised, nobody has taken it yet.
        Open = "open", "待处置", "open";
        /// Someone took it (assigned to a unit and a leader).
        Acknowledged = "acknowledged", "处置中", "in hand";
        /// Put before a joint meeting.
        Escalated = "escalated", "已提交联席会议", "before a joint meeting";
        /// Over, with an outcome.
        Resolved = "resolved", "已化解", "resolved";
    }
}

impl AlertState {
    /// Whether the alert still needs someone.
    pub fn is_active(self) -> bool {
        !matches!(self, AlertState::Resolved)
    }
}

/// What one appeal carries into intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum Signal {
    /// A threat to a life, in these words.
    Life {
        /// The words.
        phrase: String,
        /// Judged by the learnt model alone (no phrase named it): to be checked.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        suspected: bool,
    },
    /// A threat to public order, in these words.
    Order {
        /// The words.
        phrase: String,
        /// Judged by the learnt model alone: to be checked.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        suspected: bool,
    },
    /// Raised for this many people.
    Group {
        /// People.
        headcount: u32,
    },
    /// A cluster of similar appeals grew to this many within the window.
    Cluster {
        /// The cluster's id.
        cluster: i64,
        /// Appeals within the window.
        count: u32,
        /// The window, hours.
        hours: u32,
    },
    /// The appellant's n-th appeal within the window.
    Repeat {
        /// Appeals in the window, this one included.
        count: u32,
        /// The window, days.
        days: u32,
    },
    /// A category's count in a township today, far above its own baseline.
    Surge {
        /// The category's name.
        category: String,
        /// Its name in English, if it has one.
        #[serde(default)]
        category_en: String,
        /// The township's name.
        township: String,
        /// Appeals today.
        count: u32,
        /// The median day over the baseline weeks.
        median: u32,
        /// The robust z-score, in tenths.
        score_x10: u32,
        /// The baseline, weeks.
        weeks: u32,
    },
}

/// How far `today` lies above the days of `history` (one count per day, quiet days
/// as 0), in robust standard deviations: 0.6745 · (today − median) / MAD, the median
/// absolute deviation floored at 1 so a quiet series needs several appeals, not one,
/// to stand out. 0 for an empty history.
pub fn robust_z(today: u32, history: &[u32]) -> f64 {
    if history.is_empty() {
        return 0.0;
    }
    let median = median(history.iter().map(|&c| f64::from(c)).collect());
    let mad = median_abs(history, median).max(1.0);
    0.6745 * (f64::from(today) - median) / mad
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn median_abs(history: &[u32], centre: f64) -> f64 {
    median(
        history
            .iter()
            .map(|&c| (f64::from(c) - centre).abs())
            .collect(),
    )
}

/// The county's thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPolicy {
    /// People that make a visit collective.
    pub collective_headcount: u32,
    /// Appeals by one appellant that make a repeat …
    pub repeat_count: u32,
    /// … within this many days.
    pub repeat_days: u32,
    /// Similar appeals in one cluster that raise an alert …
    pub cluster_size: u32,
    /// … within this many hours (or twice as many within `cluster_days`).
    pub cluster_hours: u32,
    /// The long window of a cluster, days.
    pub cluster_days: u32,
    /// Weeks of a category's own history a day is measured against.
    pub surge_weeks: u32,
    /// The robust z-score, in tenths, that makes a day a surge …
    pub surge_score_x10: u32,
    /// … with at least this many appeals that day.
    pub surge_min: u32,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            collective_headcount: 5,
            repeat_count: 3,
            repeat_days: 30,
            cluster_size: 5,
            cluster_hours: 24,
            cluster_days: 30,
            surge_weeks: 8,
            surge_score_x10: 35,
            surge_min: 5,
        }
    }
}

/// An alert to raise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raise {
    /// What raised it.
    pub rule: AlertRule,
    /// How urgent.
    pub level: AlertLevel,
    /// Why, in words.
    pub signal: Signal,
}

impl AlertPolicy {
    /// The surge signal of a day with `today` appeals of `category` in `township`,
    /// against `history` (the days of the baseline weeks before it, quiet days as 0),
    /// if it is one: at least `surge_min` appeals and a robust z-score of at least
    /// `surge_score_x10` tenths.
    pub fn surge(
        &self,
        (category, category_en): (&str, &str),
        township: &str,
        today: u32,
        history: &[u32],
    ) -> Option<Signal> {
        let z = robust_z(today, history);
        let score_x10 = (z * 10.0).floor();
        (today >= self.surge_min && score_x10 >= f64::from(self.surge_score_x10)).then(|| {
            Signal::Surge {
                category: category.to_owned(),
                category_en: category_en.to_owned(),
                township: township.to_owned(),
                count: today,
                median: median(history.iter().map(|&c| f64::from(c)).collect()).round() as u32,
                // Bounded: z is at most 0.6745 · u32::MAX.
                score_x10: score_x10.min(f64::from(u32::MAX)) as u32,
                weeks: self.surge_weeks,
            }
        })
    }

    /// The alert a signal raises, if it reaches the county's thresholds.
    pub fn raise(&self, signal: &Signal) -> Option<Raise> {
        let (rule, level) = match signal {
            // A phrase that names the threat is red (orange for order); the model's
            // judgement alone is a lower level until someone has checked it.
            Signal::Life { suspected, .. } => (
                AlertRule::LifeSafety,
                if *suspected {
                    AlertLevel::Yellow
                } else {
                    AlertLevel::Red
                },
            ),
            Signal::Order { suspected, .. } => (
                AlertRule::PublicOrder,
                if *suspected {
                    AlertLevel::Blue
                } else {
                    AlertLevel::Orange
                },
            ),
            Signal::Group { headcount } if *headcount >= self.collective_headcount => {
                let level = match headcount {
                    50.. => AlertLevel::Red,
                    20..=49 => AlertLevel::Orange,
                    _ => AlertLevel::Yellow,
                };
                (AlertRule::Collective, level)
            }
            Signal::Repeat { count, .. } if *count >= self.repeat_count => {
                let level = if *count >= self.repeat_count * 2 {
                    AlertLevel::Yellow
                } else {
                    AlertLevel::Blue
                };
                (AlertRule::Repeat, level)
            }
            Signal::Cluster { count, .. } if *count >= self.cluster_size => {
                let level = match *count {
                    n if n >= self.cluster_size * 4 => AlertLevel::Red,
                    n if n >= self.cluster_size * 2 => AlertLevel::Orange,
                    _ => AlertLevel::Yellow,
                };
                (AlertRule::Cluster, level)
            }
            Signal::Surge { score_x10, .. } if *score_x10 >= self.surge_score_x10 => {
                let level = if *score_x10 >= self.surge_score_x10 * 2 {
                    AlertLevel::Orange
                } else {
                    AlertLevel::Yellow
                };
                (AlertRule::Surge, level)
            }
            _ => return None,
        };
        Some(Raise {
            rule,
            level,
            signal: signal.clone(),
        })
    }
}

impl Explain for Signal {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (
                Signal::Life {
                    suspected: true, ..
                },
                Lang::Zh,
            ) => "文字研判疑似危及生命，请核实".into(),
            (
                Signal::Life {
                    suspected: true, ..
                },
                Lang::En,
            ) => "The text reads as a possible threat to a life: check it".into(),
            (
                Signal::Order {
                    suspected: true, ..
                },
                Lang::Zh,
            ) => "文字研判疑似扰乱公共秩序，请核实".into(),
            (
                Signal::Order {
                    suspected: true, ..
                },
                Lang::En,
            ) => "The text reads as a possible threat to public order: check it".into(),
            (Signal::Life { phrase, .. }, Lang::Zh) => {
                format!("诉求中有危及生命的表述：「{phrase}」")
            }
            (Signal::Life { phrase, .. }, Lang::En) => {
                format!("Words threatening a life: “{phrase}”")
            }
            (Signal::Order { phrase, .. }, Lang::Zh) => {
                format!("诉求中有扰乱公共秩序的表述：「{phrase}」")
            }
            (Signal::Order { phrase, .. }, Lang::En) => {
                format!("Words threatening public order: “{phrase}”")
            }
            (Signal::Group { headcount }, Lang::Zh) => format!("{headcount} 人集体反映"),
            (Signal::Group { headcount }, Lang::En) => format!("{headcount} people together"),
            (
                Signal::Cluster {
                    cluster,
                    count,
                    hours,
                },
                Lang::Zh,
            ) => {
                format!("同类诉求聚集（第 {cluster} 组）：{hours} 小时内 {count} 件")
            }
            (
                Signal::Cluster {
                    cluster,
                    count,
                    hours,
                },
                Lang::En,
            ) => {
                format!("Cluster {cluster} of similar appeals: {count} within {hours} hours")
            }
            (Signal::Repeat { count, days }, Lang::Zh) => {
                format!("同一诉求人 {days} 天内第 {count} 次反映")
            }
            (Signal::Repeat { count, days }, Lang::En) => {
                format!("The same appellant's appeal no. {count} within {days} days")
            }
            (
                Signal::Surge {
                    category,
                    category_en,
                    township,
                    count,
                    median,
                    score_x10,
                    weeks,
                },
                lang,
            ) => {
                let z = format!("{}.{}", score_x10 / 10, score_x10 % 10);
                match lang {
                    Lang::Zh => format!(
                        "{township}「{category}」类今日 {count} 件，远高于近 {weeks} 周日中位数 {median} 件（稳健 Z 值 {z}）"
                    ),
                    Lang::En => format!(
                        "{township}: {count} “{}” appeals today, far above the median day of the last {weeks} weeks ({median}; robust z {z})",
                        if category_en.is_empty() {
                            category
                        } else {
                            category_en
                        }
                    ),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_decide_which_signals_raise_alerts() {
        let p = AlertPolicy::default();
        let life = Signal::Life {
            phrase: "跳楼".into(),
            suspected: false,
        };
        let suspected = Signal::Life {
            phrase: "现在".into(),
            suspected: true,
        };
        assert_eq!(
            p.raise(&suspected).map(|r| r.level),
            Some(AlertLevel::Yellow)
        );
        assert_eq!(
            p.raise(&life).map(|r| (r.rule, r.level)),
            Some((AlertRule::LifeSafety, AlertLevel::Red))
        );
        assert_eq!(p.raise(&Signal::Group { headcount: 4 }), None);
        assert_eq!(
            p.raise(&Signal::Group { headcount: 5 }).map(|r| r.level),
            Some(AlertLevel::Yellow)
        );
        assert_eq!(
            p.raise(&Signal::Group { headcount: 60 }).map(|r| r.level),
            Some(AlertLevel::Red)
        );
        assert_eq!(p.raise(&Signal::Repeat { count: 2, days: 30 }), None);
        assert_eq!(
            p.raise(&Signal::Repeat { count: 3, days: 30 })
                .map(|r| r.level),
            Some(AlertLevel::Blue)
        );
        assert_eq!(
            p.raise(&Signal::Repeat { count: 6, days: 30 })
                .map(|r| r.level),
            Some(AlertLevel::Yellow)
        );
    }

    #[test]
    fn a_surge_is_far_above_the_days_own_baseline() {
        let p = AlertPolicy::default();
        // Eight quiet weeks: mostly 0-2 a day.
        let quiet: Vec<u32> = (0..56).map(|d| [0, 1, 0, 2, 1, 0, 1][d % 7]).collect();
        assert_eq!(
            p.surge(("供暖", "heating"), "城关镇", 3, &quiet),
            None,
            "an ordinary busy day"
        );
        assert_eq!(
            p.surge(("供暖", "heating"), "城关镇", 5, &quiet),
            None,
            "z = 0.6745·4 < 3.5"
        );
        let s = p
            .surge(("供暖", "heating"), "城关镇", 12, &quiet)
            .expect("a surge");
        let raised = p.raise(&s).expect("raised");
        assert_eq!(raised.rule, AlertRule::Surge);
        assert_eq!(raised.level, AlertLevel::Orange, "z = 7.4");
        assert!(
            s.explain(Lang::En).contains("“heating”"),
            "{}",
            s.explain(Lang::En)
        );
        assert!(
            s.explain(Lang::Zh).contains("12 件"),
            "{}",
            s.explain(Lang::Zh)
        );
        // A category busy every day is measured against itself.
        let busy: Vec<u32> = (0..56).map(|d| 40 + (d % 5) as u32).collect();
        assert_eq!(p.surge(("供水", ""), "城关镇", 46, &busy), None);
        assert!(p.surge(("供水", ""), "城关镇", 60, &busy).is_some());
        // Fewer than the minimum never alert, however quiet the past.
        assert_eq!(p.surge(("供暖", "heating"), "城关镇", 4, &[0; 56]), None);
        assert_eq!(robust_z(9, &[]), 0.0);
    }

    proptest::proptest! {
        #[test]
        fn the_score_grows_with_the_day_and_never_fails(
            history in proptest::collection::vec(0u32..10_000, 0..120),
            today in 0u32..100_000,
        ) {
            let (a, b) = (robust_z(today, &history), robust_z(today.saturating_add(1), &history));
            proptest::prop_assert!(a.is_finite() && b >= a);
            let p = AlertPolicy::default();
            if let Some(s) = p.surge(("c", ""), "t", today, &history) {
                proptest::prop_assert!(p.raise(&s).is_some());
            }
        }
    }

    #[test]
    fn every_code_reads_back() {
        for r in AlertRule::ALL {
            assert_eq!(AlertRule::from_code(r.code()), Some(*r));
        }
        for s in AlertState::ALL {
            assert_eq!(AlertState::from_code(s.code()), Some(*s));
        }
        assert!(
            Signal::Group { headcount: 7 }
                .explain(Lang::Zh)
                .contains('7')
        );
    }
}
