//! Regions, units, categories and staff.

use super::*;
use crate::Directory;

/// Saves units by key (parents before children, a parent may already be stored): a new
/// key is created, a stored one changed (name, kind, parent, jurisdiction, phone), each
/// with one audit record, inside the open transaction `$tx`; yields the units saved.
macro_rules! save_unit_rows {
    ($tx:ident, $chain:ident, $at:expr, $actor:expr, $units:expr) => {{
        let at = $at;
        let actor: Option<i64> = $actor;
        let units: &[NewUnit] = $units;
        let existing: Vec<(String, i64)> =
            sqlx::query_as("SELECT key, id FROM units").fetch_all(&mut *$tx).await?;
        let mut ids: HashMap<String, i64> = existing.into_iter().collect();
        let mut saved = Vec::with_capacity(units.len());
        for u in units {
            let parent_id = match &u.parent_key {
                None => None,
                Some(k) => Some(*ids.get(k).ok_or_else(|| {
                    StoreError::msg(format!("unit {} names unknown parent {k}", u.key))
                })?),
            };
            let (id, action) = match ids.get(&u.key) {
                Some(&id) => {
                    sqlx::query(
                        "UPDATE units SET name = $1, kind = $2, parent_id = $3, contact_phone = $4 WHERE id = $5",
                    )
                    .bind(&u.name)
                    .bind(u.kind.code())
                    .bind(parent_id)
                    .bind(&u.contact_phone)
                    .bind(id)
                    .execute(&mut *$tx)
                    .await?;
                    sqlx::query("DELETE FROM unit_regions WHERE unit_id = $1")
                        .bind(id)
                        .execute(&mut *$tx)
                        .await?;
                    (id, "unit.update")
                }
                None => {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO units (key, name, kind, parent_id, contact_phone) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(&u.key)
                    .bind(&u.name)
                    .bind(u.kind.code())
                    .bind(parent_id)
                    .bind(&u.contact_phone)
                    .fetch_one(&mut *$tx)
                    .await?;
                    (id, "unit.create")
                }
            };
            for r in &u.jurisdiction {
                sqlx::query("INSERT INTO unit_regions (unit_id, region_code) VALUES ($1, $2)")
                    .bind(id)
                    .bind(r.as_str())
                    .execute(&mut *$tx)
                    .await?;
            }
            append_audit!($tx, $chain, at, actor, action, None, json!({
                "id": id, "key": u.key, "name": u.name, "kind": u.kind.code(), "parent_id": parent_id,
                "jurisdiction": u.jurisdiction.iter().map(RegionCode::as_str).collect::<Vec<_>>(),
                "contact_phone": u.contact_phone,
            }));
            ids.insert(u.key.clone(), id);
            saved.push(Unit {
                id,
                key: u.key.clone(),
                name: u.name.clone(),
                kind: u.kind,
                parent_id,
                jurisdiction: u.jurisdiction.clone(),
                contact_phone: u.contact_phone.clone(),
            });
        }
        saved
    }};
}

#[async_trait]
impl Directory for SqlStore {
    async fn directory_version(&self) -> Result<i64> {
        use std::sync::atomic::Ordering;
        let seen = &self.directory;
        let changes = seen.local_changes.load(Ordering::SeqCst);
        let last = *seen
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, version, then)) = last
            && then == changes
            && at.elapsed() < DIRECTORY_FRESH
        {
            return Ok(version);
        }
        let read_at = std::time::Instant::now();
        let version = with_db!(self, p => {
            let (v,): (i64,) = sqlx::query_as("SELECT version FROM directory_version WHERE id = 1")
                .fetch_one(p)
                .await?;
            v
        });
        *seen
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((read_at, version, changes));
        Ok(version)
    }

    async fn ping(&self) -> Result<()> {
        with_db!(self, p => {
            let _: (i64,) = sqlx::query_as("SELECT CAST(1 AS BIGINT)").fetch_one(p).await?;
        });
        Ok(())
    }

    async fn counts(&self) -> Result<Counts> {
        with_db!(self, p => {
            let (regions, units, staff, appeals, outbox_pending): (i64, i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM regions), (SELECT COUNT(*) FROM units), \
                 (SELECT COUNT(*) FROM staff), (SELECT COUNT(*) FROM appeals), \
                 (SELECT COUNT(*) FROM outbox WHERE status = 'pending')",
            )
            .fetch_one(p)
            .await?;
            Ok(Counts { regions, units, staff, appeals, outbox_pending })
        })
    }

    async fn insert_regions(&self, regions: &[Region]) -> Result<()> {
        let plan = RegionPlan {
            add: regions.iter().map(|r| (r.clone(), None)).collect(),
            ..RegionPlan::default()
        };
        self.apply_regions(&plan, &[], None).await
    }

    async fn regions(&self) -> Result<Vec<KnownRegion>> {
        with_db!(self, p => {
            let rows: Vec<(String, String, Option<f64>, Option<f64>, Option<DateTime<Utc>>)> =
                sqlx::query_as("SELECT code, name, lat, lng, retired_at FROM regions ORDER BY code")
                    .fetch_all(p)
                    .await?;
            rows.into_iter()
                .map(|(c, n, lat, lng, retired)| {
                    Ok(KnownRegion {
                        region: region_from(c, n)?,
                        centroid: lat.zip(lng),
                        retired: retired.is_some(),
                    })
                })
                .collect()
        })
    }

    async fn apply_regions(
        &self,
        plan: &RegionPlan,
        units: &[NewUnit],
        actor: Option<i64>,
    ) -> Result<()> {
        if plan.is_empty() && units.is_empty() {
            return Ok(());
        }
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            for (r, centroid) in &plan.add {
                sqlx::query(
                    "INSERT INTO regions (code, name, level, parent_code, lat, lng) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(r.code.as_str())
                .bind(&r.name)
                .bind(format!("{:?}", r.level()).to_lowercase())
                .bind(r.code.parent().map(String::from))
                .bind(centroid.map(|c| c.0))
                .bind(centroid.map(|c| c.1))
                .execute(&mut *tx)
                .await?;
            }
            if let (Some(first), Some(last)) = (plan.add.first(), plan.add.last()) {
                append_audit!(tx, chain, at, actor, "region.insert", None, json!({
                    "count": plan.add.len(), "first": first.0.code.as_str(), "last": last.0.code.as_str(),
                    "regions_sha256": sha256_hex(
                        &plan.add.iter().flat_map(|(r, _)| [r.code.as_str(), r.name.as_str()]).collect::<Vec<_>>()
                    ),
                }));
            }
            for (r, old) in &plan.rename {
                sqlx::query("UPDATE regions SET name = $1 WHERE code = $2")
                    .bind(&r.name)
                    .bind(r.code.as_str())
                    .execute(&mut *tx)
                    .await?;
                append_audit!(tx, chain, at, actor, "region.rename", None, json!({
                    "code": r.code.as_str(), "from": old, "to": r.name,
                }));
            }
            for (code, (lat, lng)) in &plan.locate {
                sqlx::query("UPDATE regions SET lat = $1, lng = $2 WHERE code = $3")
                    .bind(lat)
                    .bind(lng)
                    .bind(code.as_str())
                    .execute(&mut *tx)
                    .await?;
                append_audit!(tx, chain, at, actor, "region.locate", None, json!({
                    "code": code.as_str(), "lat": lat, "lng": lng,
                }));
            }
            save_unit_rows!(tx, chain, at, actor, units);
            bump_directory!(tx);
            commit_directory!(self, tx, chain);
        });
        Ok(())
    }

    async fn county(&self) -> Result<Option<Region>> {
        with_db!(self, p => {
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT code, name FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 1",
            )
            .fetch_optional(p)
            .await?;
            row.map(|(c, n)| region_from(c, n)).transpose()
        })
    }

    async fn children(&self, parent: &RegionCode) -> Result<Vec<Region>> {
        with_db!(self, p => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT code, name FROM regions WHERE parent_code = $1 AND retired_at IS NULL ORDER BY code")
                    .bind(parent.as_str())
                    .fetch_all(p)
                    .await?;
            rows.into_iter().map(|(c, n)| region_from(c, n)).collect()
        })
    }

    async fn villages(&self) -> Result<Vec<Region>> {
        with_db!(self, p => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT code, name FROM regions WHERE level = 'village' AND retired_at IS NULL ORDER BY code")
                    .fetch_all(p)
                    .await?;
            rows.into_iter().map(|(c, n)| region_from(c, n)).collect()
        })
    }

    async fn save_units(&self, units: &[NewUnit], actor: Option<i64>) -> Result<Vec<Unit>> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let saved = save_unit_rows!(tx, chain, at, actor, units);
            bump_directory!(tx);
            commit_directory!(self, tx, chain);
            Ok(saved)
        })
    }

    async fn units(&self) -> Result<Vec<Unit>> {
        with_db!(self, p => {
            let rows: Vec<(i64, String, String, String, Option<i64>, Option<String>)> = sqlx::query_as(
                "SELECT id, key, name, kind, parent_id, contact_phone FROM units ORDER BY id",
            )
            .fetch_all(p)
            .await?;
            let regions: Vec<(i64, String)> =
                sqlx::query_as("SELECT unit_id, region_code FROM unit_regions ORDER BY region_code")
                    .fetch_all(p)
                    .await?;
            let mut by_unit: HashMap<i64, Vec<RegionCode>> = HashMap::new();
            for (u, code) in regions {
                by_unit
                    .entry(u)
                    .or_default()
                    .push(RegionCode::parse(&code).map_err(|_| corrupt("region", &code))?);
            }
            rows.into_iter()
                .map(|(id, key, name, kind, parent_id, contact_phone)| {
                    Ok(Unit {
                        id,
                        kind: UnitKind::from_code(&kind).ok_or_else(|| corrupt("unit kind", &kind))?,
                        key,
                        name,
                        parent_id,
                        jurisdiction: by_unit.remove(&id).unwrap_or_default(),
                        contact_phone,
                    })
                })
                .collect()
        })
    }

    async fn unit(&self, id: i64) -> Result<Unit> {
        self.units()
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or(StoreError::NotFound)
    }

    async fn save_categories(&self, categories: &[Category], actor: Option<i64>) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (mut last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(position), -1) FROM categories")
                .fetch_one(&mut *tx)
                .await?;
            for c in categories {
                let keywords = serde_json::to_string(&c.keywords).map_err(StoreError::other)?;
                let fields = serde_json::to_string(&c.fields).map_err(StoreError::other)?;
                // A new category goes last; a stored one keeps its place.
                last += 1;
                sqlx::query(
                    "INSERT INTO categories (code, name, name_en, unit_key, position, parent_code, keywords, public, fields, published) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, \
                     unit_key = excluded.unit_key, parent_code = excluded.parent_code, \
                     keywords = excluded.keywords, public = excluded.public, fields = excluded.fields, \
                     published = excluded.published",
                )
                .bind(&c.code)
                .bind(&c.name)
                .bind(&c.name_en)
                .bind(&c.unit)
                .bind(last)
                .bind(&c.parent)
                .bind(&keywords)
                .bind(c.public)
                .bind(&fields)
                .bind(c.published)
                .execute(&mut *tx)
                .await?;
                append_audit!(tx, chain, at, actor, "category.save", None, json!({
                    "code": c.code, "name": c.name, "name_en": c.name_en, "unit": c.unit,
                    "parent": c.parent, "keywords": c.keywords, "public": c.public, "fields": c.fields,
                    "published": c.published,
                }));
            }
            bump_directory!(tx);
            commit_directory!(self, tx, chain);
        });
        Ok(())
    }

    async fn categories(&self) -> Result<Vec<Category>> {
        with_db!(self, p => {
            #[allow(clippy::type_complexity)]
            let rows: Vec<(String, String, String, String, Option<String>, String, bool, String, bool)> = sqlx::query_as(
                "SELECT code, name, name_en, unit_key, parent_code, keywords, public, fields, published \
                 FROM categories ORDER BY position, code",
            )
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|(code, name, name_en, unit, parent, keywords, public, fields, published)| {
                    Ok(Category {
                        keywords: serde_json::from_str(&keywords).map_err(|_| corrupt("keywords", &keywords))?,
                        fields: serde_json::from_str(&fields).map_err(|_| corrupt("extra fields", &fields))?,
                        code,
                        name,
                        name_en,
                        unit,
                        parent,
                        public,
                        published,
                    })
                })
                .collect()
        })
    }

    async fn set_region_retired(
        &self,
        code: &RegionCode,
        retired: bool,
        actor: Option<i64>,
    ) -> Result<i64> {
        let at = crate::now();
        let subtree = format!("{}%", code.prefix());
        let open_sql = format!(
            "SELECT COUNT(*) FROM appeals a WHERE a.region_code LIKE $1 AND {}",
            super::cases::open_status_sql()
        );
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let changed = if retired {
                sqlx::query("UPDATE regions SET retired_at = $1 WHERE code LIKE $2 AND retired_at IS NULL")
                    .bind(at)
                    .bind(&subtree)
                    .execute(&mut *tx)
                    .await?
            } else {
                sqlx::query("UPDATE regions SET retired_at = NULL WHERE code LIKE $1 AND retired_at IS NOT NULL")
                    .bind(&subtree)
                    .execute(&mut *tx)
                    .await?
            }
            .rows_affected();
            let (open,): (i64,) = sqlx::query_as(&open_sql).bind(&subtree).fetch_one(&mut *tx).await?;
            append_audit!(tx, chain, at, actor, if retired { "region.retire" } else { "region.restore" }, None, json!({
                "code": code.as_str(), "regions": changed, "open_appeals": open,
            }));
            bump_directory!(tx);
            commit_directory!(self, tx, chain);
            Ok(open)
        })
    }

    async fn calendar_files(&self) -> Result<Vec<String>> {
        with_db!(self, p => {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT text FROM calendar_files ORDER BY id")
                .fetch_all(p)
                .await?;
            Ok(rows.into_iter().map(|(t,)| t).collect())
        })
    }

    async fn add_calendar_file(&self, text: &str, actor: Option<i64>) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            sqlx::query("INSERT INTO calendar_files (text, uploaded_at, uploaded_by) VALUES ($1, $2, $3)")
                .bind(text)
                .bind(at)
                .bind(actor)
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, chain, at, actor, "calendar.upload", None, json!({
                "sha256": sha256_hex(&[text]), "bytes": text.len(),
            }));
            bump_directory!(tx);
            commit_directory!(self, tx, chain);
        });
        Ok(())
    }

    async fn routing_rules(&self) -> Result<Vec<RoutingRule>> {
        with_db!(self, p => {
            let rows: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
                "SELECT id, category, region_code, lead_unit_id, co_units FROM routing_rules ORDER BY id",
            )
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|(id, category, region, lead, co)| {
                    Ok(RoutingRule {
                        id,
                        category,
                        region: RegionCode::parse(&region).map_err(|_| corrupt("region", &region))?,
                        lead,
                        co: serde_json::from_str(&co).map_err(|_| corrupt("co-handlers", &co))?,
                    })
                })
                .collect()
        })
    }

    async fn add_routing_rule(&self, rule: &RoutingRule, actor: Option<i64>) -> Result<i64> {
        let at = crate::now();
        let co = serde_json::to_string(&rule.co).map_err(StoreError::other)?;
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO routing_rules (category, region_code, lead_unit_id, co_units, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&rule.category)
            .bind(rule.region.as_str())
            .bind(rule.lead)
            .bind(&co)
            .bind(at)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, actor, "routing_rule.add", None, json!({
                "id": id, "category": rule.category, "region": rule.region.as_str(),
                "lead": rule.lead, "co": rule.co,
            }));
            bump_directory!(tx);
            commit_directory!(self, tx, chain);
            Ok(id)
        })
    }

    async fn remove_routing_rule(&self, id: i64, actor: Option<i64>) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            found(
                sqlx::query("DELETE FROM routing_rules WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            )?;
            append_audit!(tx, chain, at, actor, "routing_rule.remove", None, json!({ "id": id }));
            bump_directory!(tx);
            commit_directory!(self, tx, chain);
        });
        Ok(())
    }

    async fn create_staff(&self, s: &NewStaff, actor: Option<i64>) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (unit_id,): (i64,) = sqlx::query_as("SELECT id FROM units WHERE key = $1")
                .bind(&s.unit_key)
                .fetch_one(&mut *tx)
                .await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO staff (username, display_name, unit_id, password_hash, active, created_at, \
                 must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&s.username)
            .bind(&s.display_name)
            .bind(unit_id)
            .bind(&s.password_hash)
            .bind(true)
            .bind(at)
            .bind(s.must_change_password)
            .fetch_one(&mut *tx)
            .await?;
            for r in &s.roles {
                sqlx::query("INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2)")
                    .bind(id)
                    .bind(r.code())
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(tx, chain, at, actor, "staff.create", None, json!({
                "id": id, "username": s.username, "unit_id": unit_id,
                "roles": s.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn staff_by_username(&self, username: &str) -> Result<Option<(Staff, String)>> {
        let sql = format!(
            "SELECT {STAFF_COLUMNS}, s.password_hash FROM staff s WHERE s.username = $1 AND s.active = $2"
        );
        with_db!(self, p => {
            let row: Option<(StaffRow, String)> = sqlx::query(&sql)
                .bind(username)
                .bind(true)
                .fetch_optional(p)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((StaffRow::from_row(&r)?, r.try_get("password_hash")?)))
                .transpose()?;
            let Some((s, hash)) = row else { return Ok(None) };
            let roles: Vec<(String,)> = sqlx::query_as(ROLES_QUERY).bind(s.id).fetch_all(p).await?;
            Ok(Some((s.staff(roles), hash)))
        })
    }

    async fn staff_members(&self, filter: &StaffFilter) -> Result<Vec<StaffMember>> {
        let mut w = Where::default();
        if let Some(u) = filter.unit_id {
            let p = w.arg(Arg::Int(u));
            w.clauses.push(format!("s.unit_id = {p}"));
        }
        if let Some(r) = filter.role {
            let p = w.arg(Arg::Text(r.code().to_owned()));
            w.clauses.push(format!(
                "s.id IN (SELECT staff_id FROM staff_roles WHERE role = {p})"
            ));
        }
        if let Some(a) = filter.active {
            let p = w.arg(Arg::Bool(a));
            w.clauses.push(format!("s.active = {p}"));
        }
        if let Some(q) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            // Literal text: LIKE's wildcards in what was typed match only themselves.
            let escaped = q
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = w.arg(Arg::Text(format!("%{escaped}%")));
            w.clauses.push(format!(
                "(s.username LIKE {p} ESCAPE '\\' OR s.display_name LIKE {p} ESCAPE '\\')"
            ));
        }
        let sql = format!(
            "SELECT {STAFF_COLUMNS} FROM staff s{} ORDER BY s.username LIMIT 1000",
            w.sql()
        );
        with_db!(self, p => {
            let rows: Vec<StaffRow> = bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            let roles: Vec<(i64, String)> =
                sqlx::query_as("SELECT staff_id, role FROM staff_roles ORDER BY role").fetch_all(p).await?;
            let mut by_staff: HashMap<i64, Vec<(String,)>> = HashMap::new();
            for (id, role) in roles {
                by_staff.entry(id).or_default().push((role,));
            }
            Ok(rows
                .into_iter()
                .map(|r| {
                    let (active, created_at) = (r.active, r.created_at);
                    let roles = by_staff.remove(&r.id).unwrap_or_default();
                    StaffMember { staff: r.staff(roles), active, created_at }
                })
                .collect())
        })
    }

    async fn update_staff(&self, change: &StaffChange, actor: Option<i64>) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            found(
                sqlx::query("UPDATE staff SET display_name = $1, unit_id = $2 WHERE id = $3")
                .bind(&change.display_name)
                .bind(change.unit_id)
                .bind(change.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            )?;
            sqlx::query("DELETE FROM staff_roles WHERE staff_id = $1")
                .bind(change.id)
                .execute(&mut *tx)
                .await?;
            for r in &change.roles {
                sqlx::query("INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2)")
                    .bind(change.id)
                    .bind(r.code())
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(tx, chain, at, actor, "staff.update", None, json!({
                "id": change.id, "display_name": change.display_name, "unit_id": change.unit_id,
                "roles": change.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
            }));
            commit_access!(self, tx, chain);
        });
        Ok(())
    }

    async fn set_staff_active(&self, id: i64, active: bool, actor: Option<i64>) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            found(
                sqlx::query("UPDATE staff SET active = $1 WHERE id = $2")
                .bind(active)
                .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            )?;
            // Deactivation ends every session and revokes every API token at once, in
            // the same transaction (activating the account again brings neither back).
            let mut revoked = 0;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                revoked = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL")
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            let action = if active { "staff.activate" } else { "staff.deactivate" };
            append_audit!(tx, chain, at, actor, action, None, json!({ "id": id, "tokens_revoked": revoked }));
            commit_access!(self, tx, chain);
        });
        Ok(())
    }

    async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
        actor: Option<i64>,
    ) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            found(
                sqlx::query("UPDATE staff SET password_hash = $1, must_change_password = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(must_change)
                .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            )?;
            // Every other session ends: whoever knew the old password is out.
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND token_hash <> $2")
                .bind(id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            let action = if must_change { "staff.reset_password" } else { "staff.change_password" };
            append_audit!(tx, chain, at, actor, action, None, json!({ "id": id }));
            commit_chain!(tx, chain);
        });
        Ok(())
    }
}
