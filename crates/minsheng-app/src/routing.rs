//! Administering routing: explicit rules (category × region subtree → lead unit and
//! co-handlers) and the "test this appeal" preview.

use minsheng_core::intake::{FieldError, FieldErrors};
use minsheng_core::region::RegionCode;
use minsheng_core::routing::{Routing, RoutingRule, route};
use minsheng_core::staff::Role;
use minsheng_core::workflow::Actor;

use crate::{App, Error, Result};

/// Administration is for administrators, within their unit's jurisdiction: a township
/// administrator manages only that township.
pub(crate) fn require_admin_over(actor: &Actor, region: &RegionCode) -> Result<()> {
    let admin = actor.roles.contains(&Role::Admin);
    let within = actor.scope.regions.iter().any(|r| region.is_within(r));
    if admin && within {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Whether `actor` (or the operator on the command line, for `None`) administers all of
/// `area`: a unit's jurisdiction, or the regions it is about to answer for.
pub(crate) fn manages(actor: Option<&Actor>, area: &[RegionCode]) -> bool {
    actor.is_none_or(|a| {
        a.roles.contains(&Role::Admin)
            && !area.is_empty()
            && area
                .iter()
                .all(|j| a.scope.regions.iter().any(|r| j.is_within(r)))
    })
}

impl App {
    /// Where an appeal of `category` placed at `place` would go now, and why.
    pub async fn routing_preview(&self, category: &str, place: &RegionCode) -> Result<Routing> {
        let categories = self.store.categories().await?;
        let units = self.store.units().await?;
        let rules = self.store.routing_rules().await?;
        Ok(route(category, place, &rules, &categories, &units, &[]))
    }

    /// Adds a rule after checking that its category, region and units exist; the
    /// actor must administer the rule's region (`None`: the operator).
    pub async fn add_routing_rule(&self, actor: Option<&Actor>, rule: RoutingRule) -> Result<i64> {
        if let Some(actor) = actor {
            require_admin_over(actor, &rule.region)?;
        }
        let mut errors = FieldErrors::default();
        if !self
            .store
            .categories()
            .await?
            .iter()
            .any(|c| c.code == rule.category)
        {
            errors.0.push(("category", FieldError::UnknownChoice));
        }
        if !self
            .store
            .regions()
            .await?
            .iter()
            .any(|r| r.region.code == rule.region && !r.retired)
        {
            errors.0.push(("region", FieldError::UnknownChoice));
        }
        let units: Vec<i64> = self.store.units().await?.iter().map(|u| u.id).collect();
        if !units.contains(&rule.lead) {
            errors.0.push(("lead", FieldError::UnknownChoice));
        }
        if rule.co.iter().any(|u| !units.contains(u)) {
            errors.0.push(("co", FieldError::UnknownChoice));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let co = rule
            .co
            .iter()
            .copied()
            .filter(|u| *u != rule.lead)
            .collect();
        Ok(self
            .store
            .add_routing_rule(&RoutingRule { co, ..rule }, actor.map(|a| a.id))
            .await?)
    }

    /// Removes a rule; the actor must administer its region.
    pub async fn remove_routing_rule(&self, actor: Option<&Actor>, id: i64) -> Result<()> {
        let rule = self
            .store
            .routing_rules()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(Error::NotFound)?;
        if let Some(actor) = actor {
            require_admin_over(actor, &rule.region)?;
        }
        Ok(self
            .store
            .remove_routing_rule(id, actor.map(|a| a.id))
            .await?)
    }
}
