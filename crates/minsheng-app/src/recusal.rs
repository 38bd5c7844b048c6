//! Anti-retaliation (回避): an accusation (举报) against a unit or its staff is never
//! routed to, and never visible to, the accused unit or the units under it. Which
//! units an appeal accuses is read here from its kind and text; routing, the workflow
//! and every scope check in the store enforce it.

use crate::sessions::SignedIn;
use crate::{App, Error, Result};
use minsheng_core::AppealNo;
use minsheng_core::appeal::AppealKind;
use minsheng_core::intake::NewAppeal;
use minsheng_core::unit::{Unit, UnitKind};
use minsheng_text::accusation::{
    Office, TOWNSHIP_OFFICIALS, VILLAGE_OFFICIALS, accuses, named_offices, office_names,
};

/// The units `appeal` accuses: when it is a report (举报) or its text accuses someone
/// (an accusing verb, a named wrongdoing), every unit it names, by its name, a short
/// form or a word for its staff (住建局, 城管, 派出所); and its own township's
/// government and its own village's committee when it names their officials (镇长,
/// 村支书). Erring towards naming costs a manual dispatch; the other way hands the
/// accusation to the accused.
pub fn accused_units(appeal: &NewAppeal, units: &[Unit]) -> Vec<i64> {
    let text = format!("{}\n{}", appeal.title, appeal.text);
    if appeal.kind != AppealKind::Report && !accuses(&text) {
        return Vec::new();
    }
    let mut offices: Vec<Office> = units
        .iter()
        .map(|u| Office {
            id: u.id,
            names: office_names(&u.name),
        })
        .collect();
    // The words for "our township's / village's officials" mean the place's own, unless
    // the text names a township government or village committee itself (柳河镇政府
    // holds 镇政府, and means 柳河).
    let named = named_offices(&text, &offices);
    let names_a = |kind: UnitKind| {
        named
            .iter()
            .any(|id| units.iter().any(|u| u.id == *id && u.kind == kind))
    };
    let (township_named, village_named) = (
        names_a(UnitKind::TownshipGovernment),
        names_a(UnitKind::VillageCommittee),
    );
    for (o, u) in offices.iter_mut().zip(units) {
        let local = u.jurisdiction.iter().any(|j| appeal.region.is_within(j));
        let officials = match u.kind {
            UnitKind::TownshipGovernment if local && !township_named => TOWNSHIP_OFFICIALS,
            UnitKind::VillageCommittee if local && !village_named => VILLAGE_OFFICIALS,
            _ => "",
        };
        o.names
            .extend(officials.split_whitespace().map(String::from));
    }
    named_offices(&text, &offices)
}

impl App {
    /// Lifts a wrongly read accusation of `unit` (解除回避): the county desk
    /// (dispatchers, supervisors, administrators), for an appeal in their sight, with a
    /// reason; audited. The unit may then handle and see the appeal.
    pub async fn lift_recusal(
        &self,
        me: &SignedIn,
        no: &AppealNo,
        unit: i64,
        reason: &str,
    ) -> Result<()> {
        if !crate::meetings::county_desk(me) {
            return Err(Error::Forbidden);
        }
        let reason = crate::cases::check_reason(reason)?;
        let detail = self.store.appeal(no, &me.scope).await?;
        if !detail.facts.accused.contains(&unit) {
            return Err(Error::NotFound);
        }
        Ok(self
            .store
            .lift_accusation(detail.summary.id, unit, me.staff.id, &reason)
            .await?)
    }
}
