//! Routing (分流): which unit leads on a new appeal, with which co-handlers, and why.
//!
//! In order: the most specific explicit rule for the appeal's category whose region
//! contains the appeal's place (a village rule beats a township rule beats a county
//! rule); else the category's default unit (the county-wide rule every county starts
//! with); else the government of the township the place lies in (兜底); else nobody,
//! and the dispatch centre places it by hand.
//!
//! An accusation (举报) names units that must stand aside (回避): when the unit the
//! rules choose is one of them or lies under one, nobody is chosen and the dispatch
//! centre places the appeal by hand; co-handlers under an accused unit are dropped.

use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::i18n::{Lang, pick};
use crate::region::{RegionCode, RegionLevel};
use crate::unit::{Unit, UnitKind, barred};

/// An explicit rule: appeals of `category` placed inside `region` go to `lead`, with
/// `co` as co-handlers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    /// Database id (0 before it is stored).
    pub id: i64,
    /// The category code.
    pub category: String,
    /// The region whose subtree the rule covers.
    pub region: RegionCode,
    /// The lead unit.
    pub lead: i64,
    /// Co-handling units.
    pub co: Vec<i64>,
}

/// Why an appeal went where it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoutingReason {
    /// An explicit rule matched.
    Rule {
        /// The rule's id.
        id: i64,
        /// The region it covers.
        region: RegionCode,
    },
    /// No rule: the category's default unit.
    CategoryDefault,
    /// Neither: the township government of the place.
    TownshipFallback,
    /// Nothing applies: the dispatch centre decides.
    Unrouted,
    /// The unit chosen is accused by the appeal (or lies under one that is): the
    /// dispatch centre decides.
    Recused,
}

impl RoutingReason {
    /// The stable identifier stored with the appeal.
    pub fn code(&self) -> &'static str {
        match self {
            RoutingReason::Rule { .. } => "rule",
            RoutingReason::CategoryDefault => "category_default",
            RoutingReason::TownshipFallback => "township_fallback",
            RoutingReason::Unrouted => "unrouted",
            RoutingReason::Recused => "recused",
        }
    }

    /// How it reads on a page.
    pub fn explain(&self, lang: Lang) -> String {
        match self {
            RoutingReason::Rule { id, region } => match lang {
                Lang::Zh => format!("分流规则 #{id}（适用区域 {region}）"),
                Lang::En => format!("routing rule #{id} (for region {region})"),
            },
            RoutingReason::CategoryDefault => pick(
                lang,
                "诉求类别的默认承办单位",
                "the category's default unit",
            )
            .into(),
            RoutingReason::TownshipFallback => pick(
                lang,
                "无适用规则，由所在乡镇（街道）兜底",
                "no rule applies: the township government of the place",
            )
            .into(),
            RoutingReason::Unrouted => pick(
                lang,
                "无适用规则，待派单中心人工派单",
                "no rule applies: the dispatch centre places it",
            )
            .into(),
            RoutingReason::Recused => pick(
                lang,
                "规则指定的单位是被举报对象，须回避，待派单中心人工派单",
                "the unit the rules name is accused by the appeal and stands aside: the dispatch centre places it",
            )
            .into(),
        }
    }
}

/// Where an appeal goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// The lead unit, if any.
    pub lead: Option<i64>,
    /// Co-handling units.
    pub co: Vec<i64>,
    /// Why.
    pub reason: RoutingReason,
    /// The units the appeal accuses, which may neither handle nor see it.
    #[serde(default)]
    pub accused: Vec<i64>,
}

/// Routes an appeal of `category` placed at `place` that accuses the units `accused`
/// (usually none).
pub fn route(
    category: &str,
    place: &RegionCode,
    rules: &[RoutingRule],
    categories: &[Category],
    units: &[Unit],
    accused: &[i64],
) -> Routing {
    let mut routing = route_by_rules(category, place, rules, categories, units);
    if accused.is_empty() {
        return routing;
    }
    routing.accused = accused.to_vec();
    routing.co.retain(|u| !barred(*u, accused, units));
    if routing.lead.is_some_and(|u| barred(u, accused, units)) {
        routing.lead = None;
        routing.co.clear();
        routing.reason = RoutingReason::Recused;
    }
    // Accusing the dispatch centre itself: nobody there may place it, so it goes to
    // the discipline inspection unit (纪委监委) if the county has one.
    let centre_barred = units
        .iter()
        .filter(|u| u.kind == UnitKind::CountyMassWork)
        .all(|u| barred(u.id, accused, units));
    if routing.lead.is_none() && centre_barred {
        routing.lead = units
            .iter()
            .filter(|u| u.name.contains("纪委") || u.name.contains("监委"))
            .map(|u| u.id)
            .find(|u| !barred(*u, accused, units));
        routing.reason = RoutingReason::Recused;
    }
    routing
}

fn route_by_rules(
    category: &str,
    place: &RegionCode,
    rules: &[RoutingRule],
    categories: &[Category],
    units: &[Unit],
) -> Routing {
    let depth = |r: &RegionCode| match r.level() {
        RegionLevel::County => 0,
        RegionLevel::Township => 1,
        RegionLevel::Village => 2,
        RegionLevel::Grid => 3,
    };
    // The most specific rule; among equally specific ones, the newest (highest id).
    let best = rules
        .iter()
        .filter(|r| r.category == category && place.is_within(&r.region))
        .max_by_key(|r| (depth(&r.region), r.id));
    if let Some(rule) = best {
        return Routing {
            lead: Some(rule.lead),
            co: rule
                .co
                .iter()
                .copied()
                .filter(|u| *u != rule.lead)
                .collect(),
            reason: RoutingReason::Rule {
                id: rule.id,
                region: rule.region.clone(),
            },
            accused: Vec::new(),
        };
    }
    let default = categories
        .iter()
        .find(|c| c.code == category)
        .and_then(|c| units.iter().find(|u| u.key == c.unit));
    if let Some(unit) = default {
        return Routing {
            lead: Some(unit.id),
            co: Vec::new(),
            reason: RoutingReason::CategoryDefault,
            accused: Vec::new(),
        };
    }
    let township = units.iter().find(|u| {
        u.kind == UnitKind::TownshipGovernment
            && u.jurisdiction
                .iter()
                .any(|j| j.level() == RegionLevel::Township && place.is_within(j))
    });
    match township {
        Some(unit) => Routing {
            lead: Some(unit.id),
            co: Vec::new(),
            reason: RoutingReason::TownshipFallback,
            accused: Vec::new(),
        },
        None => Routing {
            lead: None,
            co: Vec::new(),
            reason: RoutingReason::Unrouted,
            accused: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).expect("code")
    }

    fn unit(id: i64, key: &str, kind: UnitKind, jurisdiction: &[&str]) -> Unit {
        Unit {
            id,
            key: key.into(),
            name: key.into(),
            kind,
            parent_id: None,
            jurisdiction: jurisdiction.iter().map(|c| code(c)).collect(),
            contact_phone: None,
        }
    }

    fn units() -> Vec<Unit> {
        vec![
            unit(1, "zjj", UnitKind::Department, &["370999000000"]),
            unit(2, "slj", UnitKind::Department, &["370999000000"]),
            unit(3, "gov-1", UnitKind::TownshipGovernment, &["370999001000"]),
            unit(4, "gov-2", UnitKind::TownshipGovernment, &["370999002000"]),
            unit(
                5,
                "v-committee",
                UnitKind::VillageCommittee,
                &["370999001001"],
            ),
        ]
    }

    fn categories() -> Vec<Category> {
        vec![Category::heating()]
    }

    fn rule(id: i64, category: &str, region: &str, lead: i64, co: &[i64]) -> RoutingRule {
        RoutingRule {
            id,
            category: category.into(),
            region: code(region),
            lead,
            co: co.to_vec(),
        }
    }

    fn rules() -> Vec<RoutingRule> {
        vec![
            rule(10, "gongre", "370999000000", 2, &[]),
            rule(11, "gongre", "370999001000", 3, &[1, 3]),
            rule(12, "gongre", "370999001001", 5, &[3]),
            rule(13, "jiaoyu", "370999002000", 4, &[]),
        ]
    }

    #[rstest]
    #[case::village_rule_beats_township("gongre", "370999001001", Some(5), &[3], "rule")]
    #[case::township_rule("gongre", "370999001002", Some(3), &[1], "rule")]
    #[case::county_rule("gongre", "370999002001", Some(2), &[], "rule")]
    #[case::unknown_category_falls_to_the_township("qita-default", "370999002001", Some(4), &[], "township_fallback")]
    #[case::rule_for_another_category("jiaoyu", "370999002003", Some(4), &[], "rule")]
    #[case::no_rule_no_default_no_township("jiaoyu", "370999003001", None, &[], "unrouted")]
    fn the_most_specific_rule_wins(
        #[case] category: &str,
        #[case] place: &str,
        #[case] lead: Option<i64>,
        #[case] co: &[i64],
        #[case] reason: &str,
    ) {
        let r = route(
            category,
            &code(place),
            &rules(),
            &categories(),
            &units(),
            &[],
        );
        assert_eq!(r.lead, lead);
        assert_eq!(r.co, co, "the lead is never its own co-handler");
        assert_eq!(r.reason.code(), reason);
        assert!(!r.reason.explain(Lang::Zh).is_empty());
    }

    #[test]
    fn without_rules_the_category_default_then_the_township() {
        let r = route(
            "gongre",
            &code("370999002001"),
            &[],
            &categories(),
            &units(),
            &[],
        );
        assert_eq!(
            (r.lead, r.reason),
            (Some(1), RoutingReason::CategoryDefault)
        );
        let r = route(
            "zhian",
            &code("370999001001"),
            &[],
            &categories(),
            &units(),
            &[],
        );
        assert_eq!(
            (r.lead, r.reason),
            (Some(3), RoutingReason::TownshipFallback)
        );
    }

    #[test]
    fn an_accused_unit_stands_aside_with_everything_under_it() {
        let mut units = units();
        units[4].parent_id = Some(3); // the village committee is under the township
        // The township is accused: its own rule is skipped, and its village committee
        // (under it) may not lead either.
        let r = route(
            "gongre",
            &code("370999001002"),
            &rules(),
            &categories(),
            &units,
            &[3],
        );
        assert_eq!((r.lead, r.reason.code()), (None, "recused"));
        assert!(r.co.is_empty());
        assert_eq!(r.accused, vec![3]);
        let r = route(
            "gongre",
            &code("370999001001"),
            &rules(),
            &categories(),
            &units,
            &[3],
        );
        assert_eq!(
            r.lead, None,
            "the village committee lies under the accused township"
        );
        // A co-handler accused is dropped; the lead stays.
        let r = route(
            "gongre",
            &code("370999001002"),
            &rules(),
            &categories(),
            &units,
            &[1],
        );
        assert_eq!((r.lead, r.co), (Some(3), Vec::<i64>::new()));
        assert!(!RoutingReason::Recused.explain(Lang::Zh).is_empty());
        // Accusing the dispatch centre: the discipline inspection unit takes it.
        units.push(unit(
            6,
            "qzgzb",
            UnitKind::CountyMassWork,
            &["370999000000"],
        ));
        let mut jw = unit(7, "jw", UnitKind::Department, &["370999000000"]);
        jw.name = "县纪委监委".into();
        units.push(jw);
        let r = route(
            "qita",
            &code("370999001002"),
            &[],
            &categories(),
            &units,
            &[6],
        );
        assert_eq!((r.lead, r.reason.code()), (Some(3), "township_fallback"));
        let r = route(
            "qita",
            &code("370999001002"),
            &[],
            &categories(),
            &units,
            &[6, 3],
        );
        assert_eq!((r.lead, r.reason.code()), (Some(7), "recused"));
    }

    proptest! {
        /// Anti-retaliation on the routing path: whatever the rules, the tree and the
        /// accusation, neither the lead nor a co-handler is accused or under an
        /// accused unit.
        #[test]
        fn routing_never_reaches_an_accused_unit(
            parents in proptest::collection::vec(proptest::option::of(1i64..6), 5),
            accused in proptest::collection::vec(1i64..6, 0..3),
            t in 1u16..4, v in 1u16..4, pick in 0usize..4,
        ) {
            let mut units = units();
            for (u, p) in units.iter_mut().zip(parents) {
                u.parent_id = p.filter(|p| *p != u.id);
            }
            let place = RegionCode::village(&RegionCode::township(&code("370999000000"), t), v);
            let category = ["gongre", "jiaoyu", "zhian", "qita"][pick];
            let r = route(category, &place, &rules(), &categories(), &units, &accused);
            for u in r.lead.iter().chain(&r.co) {
                prop_assert!(!barred(*u, &accused, &units), "unit {} reached", u);
            }
        }

        #[test]
        fn a_matching_rule_always_covers_the_place(
            t in 1u16..4, v in 1u16..4, pick in 0usize..4
        ) {
            let place = RegionCode::village(&RegionCode::township(&code("370999000000"), t), v);
            let category = ["gongre", "jiaoyu", "zhian", "qita"][pick];
            let r = route(category, &place, &rules(), &categories(), &units(), &[]);
            if let RoutingReason::Rule { id, region } = &r.reason {
                prop_assert!(place.is_within(region));
                let chosen = rules().into_iter().find(|x| x.id == *id).expect("rule");
                prop_assert_eq!(chosen.category.as_str(), category);
                // No other matching rule is more specific.
                for other in rules().iter().filter(|x| x.category == category && place.is_within(&x.region)) {
                    prop_assert!(other.region.level() <= region.level());
                }
            }
        }
    }
}
