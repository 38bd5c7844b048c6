//! The registers of going to the people: each change one transaction with its audit
//! record. Texts a person typed go into the audit record as hashes (the rows hold
//! them; the chain proves they were not edited); parties are sealed like appellants'.

use chrono::NaiveDate;
use minsheng_core::outreach::{
    DisputeKind, DisputeState, FollowUp, MediationOutcome, NewConsultation, NewContact, NewDispute,
    NewReception, NewScreening, NewVisit, PlaceKind, Risk, VisitState, mask_parties,
};

use super::*;
use crate::Page;
use crate::outreach::{
    ConsentedReply, Consultation, Contact, Dispute, DisputeFilter, DisputeNote, FieldVisit,
    Mediation, MediationRecord, Outreach, Reception, Screening, VisitFilter,
};

/// `(col LIKE p1 OR …)` over the region prefixes of `areas`, if any.
fn in_areas(w: &mut Where, column: &str, areas: &[RegionCode]) {
    if areas.is_empty() {
        return;
    }
    let any: Vec<String> = areas
        .iter()
        .map(|r| {
            let p = w.arg(Arg::Text(format!("{}%", r.prefix())));
            format!("{column} LIKE {p}")
        })
        .collect();
    w.clauses.push(format!("({})", any.join(" OR ")));
}

fn region(code: &str) -> Result<RegionCode> {
    RegionCode::parse(code).map_err(|_| corrupt("region", code))
}

fn appeal_no(no: Option<String>) -> Result<Option<AppealNo>> {
    no.map(|n| AppealNo::parse(&n).map_err(|_| corrupt("appeal number", &n)))
        .transpose()
}

fn clamp(page: i64, per_page: i64) -> (i64, i64) {
    (page.clamp(1, 100_000), per_page.clamp(1, 200))
}

#[derive(FromRow)]
struct VisitRow {
    id: i64,
    staff_id: i64,
    staff_name: String,
    region_code: String,
    visit_on: NaiveDate,
    purpose: String,
    people: String,
    notes: String,
    state: String,
}

const VISIT_COLUMNS: &str = "v.id, v.staff_id, s.display_name AS staff_name, v.region_code, \
    v.visit_on, v.purpose, v.people, v.notes, v.state";

impl VisitRow {
    fn with_cases(self, cases: &[(i64, String, bool)]) -> Result<FieldVisit> {
        Ok(FieldVisit {
            cases: cases
                .iter()
                .filter(|(v, _, _)| *v == self.id)
                .map(|(_, no, resolved)| {
                    Ok((
                        AppealNo::parse(no).map_err(|_| corrupt("appeal number", no))?,
                        *resolved,
                    ))
                })
                .collect::<Result<_>>()?,
            id: self.id,
            staff_id: self.staff_id,
            staff_name: self.staff_name,
            region: region(&self.region_code)?,
            on: self.visit_on,
            purpose: self.purpose,
            people: self.people,
            notes: self.notes,
            state: VisitState::from_code(&self.state)
                .ok_or_else(|| corrupt("visit state", &self.state))?,
        })
    }
}

/// The cases of the visits `ids` (our own integers): (visit id, appeal number, settled).
macro_rules! visit_cases {
    ($p:ident, $ids:expr) => {{
        let ids: Vec<String> = $ids.iter().map(|i: &i64| i.to_string()).collect();
        if ids.is_empty() {
            Vec::new()
        } else {
            let sql = format!(
                "SELECT c.visit_id, a.no, c.resolved FROM field_visit_cases c JOIN appeals a ON a.id = c.appeal_id \
                 WHERE c.visit_id IN ({}) ORDER BY a.id",
                ids.join(", ")
            );
            let rows: Vec<(i64, String, bool)> = sqlx::query_as(&sql).fetch_all($p).await?;
            rows
        }
    }};
}

#[derive(FromRow)]
struct DisputeRow {
    id: i64,
    screening_id: Option<i64>,
    region_code: String,
    reported_by: i64,
    kind: String,
    risk: String,
    summary: String,
    parties_mask: String,
    state: String,
    no: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const DISPUTE_COLUMNS: &str = "d.id, d.screening_id, d.region_code, d.reported_by, d.kind, d.risk, \
    d.summary, d.parties_mask, d.state, a.no, d.created_at, d.updated_at";

impl TryFrom<DisputeRow> for Dispute {
    type Error = StoreError;
    fn try_from(r: DisputeRow) -> Result<Dispute> {
        Ok(Dispute {
            id: r.id,
            screening_id: r.screening_id,
            region: region(&r.region_code)?,
            reported_by: r.reported_by,
            kind: DisputeKind::from_code(&r.kind)
                .ok_or_else(|| corrupt("dispute kind", &r.kind))?,
            risk: Risk::from_code(&r.risk).ok_or_else(|| corrupt("risk", &r.risk))?,
            summary: r.summary,
            parties_mask: r.parties_mask,
            state: DisputeState::from_code(&r.state)
                .ok_or_else(|| corrupt("dispute state", &r.state))?,
            appeal_no: appeal_no(r.no)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(FromRow)]
struct MediationRow {
    id: i64,
    dispute_id: Option<i64>,
    no: Option<String>,
    mediator_name: String,
    held_on: NaiveDate,
    parties_mask: String,
    agreement: String,
    outcome: String,
    follow_up_on: Option<NaiveDate>,
    judicial: bool,
}

const MEDIATION_COLUMNS: &str = "m.id, m.dispute_id, a.no, s.display_name AS mediator_name, m.held_on, \
    m.parties_mask, m.agreement, m.outcome, m.follow_up_on, m.judicial";

impl TryFrom<MediationRow> for Mediation {
    type Error = StoreError;
    fn try_from(r: MediationRow) -> Result<Mediation> {
        Ok(Mediation {
            id: r.id,
            dispute_id: r.dispute_id,
            appeal_no: appeal_no(r.no)?,
            mediator_name: r.mediator_name,
            held_on: r.held_on,
            parties_mask: r.parties_mask,
            agreement: r.agreement,
            outcome: MediationOutcome::from_code(&r.outcome)
                .ok_or_else(|| corrupt("outcome", &r.outcome))?,
            follow_up_on: r.follow_up_on,
            judicial: r.judicial,
        })
    }
}

#[derive(FromRow)]
struct ConsultationRow {
    id: i64,
    title: String,
    proposal: String,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    response: Option<String>,
    responded_at: Option<DateTime<Utc>>,
    opinions: i64,
}

const CONSULTATION_COLUMNS: &str = "c.id, c.title, c.proposal, c.opens_on, c.closes_on, c.response, c.responded_at, \
    (SELECT COUNT(*) FROM consultation_opinions o WHERE o.consultation_id = c.id) AS opinions";

impl From<ConsultationRow> for Consultation {
    fn from(r: ConsultationRow) -> Consultation {
        Consultation {
            id: r.id,
            title: r.title,
            proposal: r.proposal,
            opens: r.opens_on,
            closes: r.closes_on,
            response: r.response,
            responded_at: r.responded_at,
            opinions: r.opinions,
        }
    }
}

#[async_trait]
impl Outreach for SqlStore {
    async fn add_contact(&self, c: &NewContact, actor: i64) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO contacts (kind, region_code, name, staff_id, since) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(c.kind.code())
            .bind(c.region.as_str())
            .bind(&c.name)
            .bind(c.staff)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "contact.add", None, json!({
                "contact": id, "kind": c.kind.code(), "region": c.region.as_str(), "name": c.name, "staff": c.staff,
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn end_contact(&self, id: i64, actor: i64) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let ended = sqlx::query("UPDATE contacts SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if ended != 1 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, at, Some(actor), "contact.end", None, json!({ "contact": id }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn contacts(&self, at: Option<&RegionCode>) -> Result<Vec<Contact>> {
        let mut sql = String::from(
            "SELECT c.id, c.kind, c.region_code, c.name, c.staff_id, s.display_name, c.since \
             FROM contacts c JOIN staff s ON s.id = c.staff_id WHERE c.ended_at IS NULL",
        );
        if at.is_some() {
            sql.push_str(" AND c.region_code = $1");
        }
        sql.push_str(" ORDER BY c.region_code, c.kind, c.id");
        with_db!(self, p => {
            let mut q = sqlx::query_as::<_, (i64, String, String, String, i64, String, DateTime<Utc>)>(&sql);
            if let Some(r) = at {
                q = q.bind(r.as_str());
            }
            let rows = q.fetch_all(p).await?;
            rows.into_iter()
                .map(|(id, kind, code, name, staff_id, staff_name, since)| {
                    Ok(Contact {
                        id,
                        kind: PlaceKind::from_code(&kind).ok_or_else(|| corrupt("place kind", &kind))?,
                        region: region(&code)?,
                        name,
                        staff_id,
                        staff_name,
                        since,
                    })
                })
                .collect()
        })
    }

    async fn add_reception(&self, r: &NewReception, actor: i64) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO receptions (leader_id, starts_at, ends_at, place, topic, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(r.leader)
            .bind(r.starts_at)
            .bind(r.ends_at)
            .bind(&r.place)
            .bind(&r.topic)
            .bind(actor)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "reception.add", None, json!({
                "reception": id, "leader": r.leader, "starts_at": r.starts_at, "ends_at": r.ends_at,
                "place": r.place, "topic": r.topic,
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn receptions(&self, from: DateTime<Utc>, limit: i64) -> Result<Vec<Reception>> {
        self.reception_rows("r.ends_at >= $1", Arg::Time(from), limit.clamp(1, 500))
            .await
    }

    async fn reception(&self, id: i64) -> Result<Reception> {
        self.reception_rows("r.id = $1", Arg::Int(id), 1)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn save_visit(
        &self,
        id: Option<i64>,
        v: &NewVisit,
        cases: &[(i64, bool)],
        staff: i64,
    ) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let id = match id {
                Some(id) => {
                    let changed = sqlx::query(
                        "UPDATE field_visits SET region_code = $1, visit_on = $2, purpose = $3, people = $4, notes = $5, \
                         state = $6, updated_at = $7 WHERE id = $8",
                    )
                    .bind(v.region.as_str())
                    .bind(v.on)
                    .bind(&v.purpose)
                    .bind(&v.people)
                    .bind(&v.notes)
                    .bind(v.state.code())
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if changed != 1 {
                        return Err(StoreError::NotFound);
                    }
                    sqlx::query("DELETE FROM field_visit_cases WHERE visit_id = $1").bind(id).execute(&mut *tx).await?;
                    id
                }
                None => {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO field_visits (staff_id, region_code, visit_on, purpose, people, notes, state, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                    )
                    .bind(staff)
                    .bind(v.region.as_str())
                    .bind(v.on)
                    .bind(&v.purpose)
                    .bind(&v.people)
                    .bind(&v.notes)
                    .bind(v.state.code())
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    id
                }
            };
            let rows: Vec<Vec<Arg>> = cases.iter().map(|(a, r)| vec![Arg::Int(id), Arg::Int(*a), Arg::Bool(*r)]).collect();
            insert_rows!(tx, "INSERT INTO field_visit_cases (visit_id, appeal_id, resolved)", rows);
            append_audit!(tx, chain, at, Some(staff), "visit.save", None, json!({
                "visit": id, "region": v.region.as_str(), "on": v.on.to_string(), "state": v.state.code(),
                "purpose_sha256": sha256_hex(&[&v.purpose]), "people_sha256": sha256_hex(&[&v.people]),
                "notes_sha256": sha256_hex(&[&v.notes]), "cases": cases,
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn visits(&self, f: &VisitFilter, page: i64, per_page: i64) -> Result<Page<FieldVisit>> {
        let (page, per_page) = clamp(page, per_page);
        let mut w = Where::default();
        if let Some(s) = f.staff {
            let p = w.arg(Arg::Int(s));
            w.clauses.push(format!("v.staff_id = {p}"));
        }
        if let Some(d) = f.from {
            let p = w.arg(Arg::Date(d));
            w.clauses.push(format!("v.visit_on >= {p}"));
        }
        if let Some(d) = f.to {
            let p = w.arg(Arg::Date(d));
            w.clauses.push(format!("v.visit_on <= {p}"));
        }
        in_areas(&mut w, "v.region_code", &f.areas);
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM field_visits v JOIN staff s ON s.id = v.staff_id{} \
             ORDER BY v.visit_on DESC, v.id DESC LIMIT {per_page} OFFSET {}",
            w.sql(),
            (page - 1) * per_page
        );
        let count = format!("SELECT COUNT(*) FROM field_visits v{}", w.sql());
        with_db!(self, p => {
            let rows: Vec<VisitRow> = bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            let (total,): (i64,) = bind_args!(sqlx::query_as(&count), &w.args).fetch_one(p).await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let cases = visit_cases!(p, ids);
            Ok(Page {
                items: rows.into_iter().map(|r| r.with_cases(&cases)).collect::<Result<_>>()?,
                total,
                page,
                per_page,
            })
        })
    }

    async fn visit(&self, id: i64) -> Result<FieldVisit> {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM field_visits v JOIN staff s ON s.id = v.staff_id WHERE v.id = $1"
        );
        with_db!(self, p => {
            let row: VisitRow = sqlx::query_as(&sql).bind(id).fetch_one(p).await?;
            let cases = visit_cases!(p, [id]);
            row.with_cases(&cases)
        })
    }

    async fn visits_of_appeal(&self, appeal_id: i64) -> Result<Vec<FieldVisit>> {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM field_visits v JOIN staff s ON s.id = v.staff_id \
             WHERE v.id IN (SELECT visit_id FROM field_visit_cases WHERE appeal_id = $1) ORDER BY v.visit_on, v.id"
        );
        with_db!(self, p => {
            let rows: Vec<VisitRow> = sqlx::query_as(&sql).bind(appeal_id).fetch_all(p).await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let cases = visit_cases!(p, ids);
            rows.into_iter().map(|r| r.with_cases(&cases)).collect()
        })
    }

    async fn settled_on_visits(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        areas: &[RegionCode],
    ) -> Result<i64> {
        let mut w = Where::default();
        let (f, t) = (w.arg(Arg::Date(from)), w.arg(Arg::Date(to)));
        w.clauses.push(format!(
            "v.visit_on >= {f} AND v.visit_on <= {t} AND v.state = 'done' AND c.resolved"
        ));
        in_areas(&mut w, "v.region_code", areas);
        let sql = format!(
            "SELECT COUNT(DISTINCT c.appeal_id) FROM field_visit_cases c JOIN field_visits v ON v.id = c.visit_id{}",
            w.sql()
        );
        with_db!(self, p => {
            let (n,): (i64,) = bind_args!(sqlx::query_as(&sql), &w.args).fetch_one(p).await?;
            Ok(n)
        })
    }

    async fn add_screening(&self, s: &NewScreening, actor: i64) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO screenings (title, starts_on, ends_on, region_code, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&s.title)
            .bind(s.from)
            .bind(s.to)
            .bind(s.region.as_str())
            .bind(actor)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "screening.add", None, json!({
                "screening": id, "title": s.title, "from": s.from.to_string(), "to": s.to.to_string(),
                "region": s.region.as_str(),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn screenings(&self, areas: &[RegionCode]) -> Result<Vec<Screening>> {
        // The same areas twice (one clause for each count).
        let mut w = Where::default();
        in_areas(&mut w, "d.region_code", areas);
        in_areas(&mut w, "d.region_code", areas);
        let within = |i: usize| {
            w.clauses
                .get(i)
                .map(|c| format!(" AND {c}"))
                .unwrap_or_default()
        };
        let sql = format!(
            "SELECT g.id, g.title, g.starts_on, g.ends_on, g.region_code, \
             (SELECT COUNT(*) FROM disputes d WHERE d.screening_id = g.id{}), \
             (SELECT COUNT(*) FROM disputes d WHERE d.screening_id = g.id AND d.risk = 'high' \
              AND d.state IN ('open', 'following'){}) \
             FROM screenings g ORDER BY g.starts_on DESC, g.id DESC",
            within(0),
            within(1)
        );
        with_db!(self, p => {
            let rows: Vec<(i64, String, NaiveDate, NaiveDate, String, i64, i64)> =
                bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            rows.into_iter()
                .map(|(id, title, from, to, code, disputes, high_open)| {
                    Ok(Screening { id, title, from, to, region: region(&code)?, disputes, high_open })
                })
                .collect()
        })
    }

    async fn report_dispute(&self, d: &NewDispute, actor: i64) -> Result<i64> {
        let at = crate::now();
        let sealed = self.keys.seal("parties", &d.parties);
        let key_id = self.keys.current_id().to_owned();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO disputes (screening_id, region_code, reported_by, kind, risk, summary, parties_mask, \
                 pii_key_id, parties_enc, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10) RETURNING id",
            )
            .bind(d.screening)
            .bind(d.region.as_str())
            .bind(actor)
            .bind(d.kind.code())
            .bind(d.risk.code())
            .bind(&d.summary)
            .bind(mask_parties(&d.parties))
            .bind(&key_id)
            .bind(&sealed)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "dispute.report", None, json!({
                "dispute": id, "screening": d.screening, "region": d.region.as_str(), "kind": d.kind.code(),
                "risk": d.risk.code(), "summary_sha256": sha256_hex(&[&d.summary]),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn disputes(&self, f: &DisputeFilter, page: i64, per_page: i64) -> Result<Page<Dispute>> {
        let (page, per_page) = clamp(page, per_page);
        let mut w = Where::default();
        if let Some(s) = f.screening {
            let p = w.arg(Arg::Int(s));
            w.clauses.push(format!("d.screening_id = {p}"));
        }
        if let Some(r) = f.risk {
            let p = w.arg(Arg::Text(r.code().to_owned()));
            w.clauses.push(format!("d.risk = {p}"));
        }
        match f.state {
            Some(s) => {
                let p = w.arg(Arg::Text(s.code().to_owned()));
                w.clauses.push(format!("d.state = {p}"));
            }
            None => w.clauses.push("d.state IN ('open', 'following')".into()),
        }
        in_areas(&mut w, "d.region_code", &f.areas);
        let sql = format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes d LEFT JOIN appeals a ON a.id = d.appeal_id{} \
             ORDER BY CASE d.risk WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, d.updated_at, d.id \
             LIMIT {per_page} OFFSET {}",
            w.sql(),
            (page - 1) * per_page
        );
        let count = format!("SELECT COUNT(*) FROM disputes d{}", w.sql());
        with_db!(self, p => {
            let rows: Vec<DisputeRow> = bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            let (total,): (i64,) = bind_args!(sqlx::query_as(&count), &w.args).fetch_one(p).await?;
            Ok(Page {
                items: rows.into_iter().map(Dispute::try_from).collect::<Result<_>>()?,
                total,
                page,
                per_page,
            })
        })
    }

    async fn dispute(&self, id: i64) -> Result<(Dispute, Vec<DisputeNote>, Vec<Mediation>)> {
        let sql = format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes d LEFT JOIN appeals a ON a.id = d.appeal_id WHERE d.id = $1"
        );
        let mediations = format!(
            "SELECT {MEDIATION_COLUMNS} FROM mediations m JOIN staff s ON s.id = m.mediator_id \
             LEFT JOIN appeals a ON a.id = m.appeal_id WHERE m.dispute_id = $1 ORDER BY m.held_on, m.id"
        );
        with_db!(self, p => {
            let row: DisputeRow = sqlx::query_as(&sql).bind(id).fetch_one(p).await?;
            let notes: Vec<(DateTime<Utc>, String, String, String, String)> = sqlx::query_as(
                "SELECT n.at, s.display_name, n.note, n.risk, n.state FROM dispute_notes n \
                 JOIN staff s ON s.id = n.staff_id WHERE n.dispute_id = $1 ORDER BY n.id",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let mediations: Vec<MediationRow> = sqlx::query_as(&mediations).bind(id).fetch_all(p).await?;
            Ok((
                Dispute::try_from(row)?,
                notes
                    .into_iter()
                    .map(|(at, staff_name, note, risk, state)| {
                        Ok(DisputeNote {
                            at,
                            staff_name,
                            note,
                            risk: Risk::from_code(&risk).ok_or_else(|| corrupt("risk", &risk))?,
                            state: DisputeState::from_code(&state).ok_or_else(|| corrupt("dispute state", &state))?,
                        })
                    })
                    .collect::<Result<_>>()?,
                mediations.into_iter().map(Mediation::try_from).collect::<Result<_>>()?,
            ))
        })
    }

    async fn follow_up(&self, id: i64, f: &FollowUp, actor: i64) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            // A dispute that became an appeal is followed there.
            let changed = sqlx::query(
                "UPDATE disputes SET risk = $1, state = $2, updated_at = $3 WHERE id = $4 AND state <> 'case'",
            )
            .bind(f.risk.code())
            .bind(f.state.code())
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("INSERT INTO dispute_notes (dispute_id, at, staff_id, note, risk, state) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(at)
                .bind(actor)
                .bind(&f.note)
                .bind(f.risk.code())
                .bind(f.state.code())
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, chain, at, Some(actor), "dispute.follow_up", None, json!({
                "dispute": id, "risk": f.risk.code(), "state": f.state.code(), "note_sha256": sha256_hex(&[&f.note]),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn reveal_parties(&self, dispute: i64, actor: i64, reason: &str) -> Result<String> {
        let at = crate::now();
        with_db!(self, p => {
            let (key_id, sealed): (String, String) =
                sqlx::query_as("SELECT pii_key_id, parties_enc FROM disputes WHERE id = $1")
                    .bind(dispute)
                    .fetch_one(p)
                    .await?;
            let parties = self.keys.open(&key_id, "parties", &sealed)?;
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            append_audit!(tx, chain, at, Some(actor), "parties.reveal", None, json!({ "dispute": dispute, "reason": reason }));
            commit_chain!(tx, chain);
            Ok(parties)
        })
    }

    async fn record_mediation(&self, m: &MediationRecord, actor: i64) -> Result<i64> {
        let at = crate::now();
        let r = &m.record;
        let sealed = self.keys.seal("parties", &r.parties);
        let key_id = self.keys.current_id().to_owned();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                                "INSERT INTO mediations (dispute_id, appeal_id, mediator_id, region_code, held_on, parties_mask, pii_key_id, \
                 parties_enc, agreement, outcome, follow_up_on, judicial, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(r.dispute)
            .bind(m.appeal_id)
            .bind(r.mediator)
            .bind(m.region.as_str())
            .bind(r.held_on)
            .bind(mask_parties(&r.parties))
            .bind(&key_id)
            .bind(&sealed)
            .bind(&r.agreement)
            .bind(r.outcome.code())
            .bind(r.follow_up_on)
            .bind(r.judicial)
            .bind(actor)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "mediation.record", m.appeal_id, json!({
                "mediation": id, "dispute": r.dispute, "mediator": r.mediator, "held_on": r.held_on.to_string(),
                "outcome": r.outcome.code(), "judicial": r.judicial, "agreement_sha256": sha256_hex(&[&r.agreement]),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn mediations(
        &self,
        areas: &[RegionCode],
        appeal_id: Option<i64>,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Mediation>> {
        let (page, per_page) = clamp(page, per_page);
        let mut w = Where::default();
        if let Some(a) = appeal_id {
            let p = w.arg(Arg::Int(a));
            w.clauses.push(format!("m.appeal_id = {p}"));
        }
        in_areas(&mut w, "m.region_code", areas);
        let sql = format!(
            "SELECT {MEDIATION_COLUMNS} FROM mediations m JOIN staff s ON s.id = m.mediator_id \
             LEFT JOIN appeals a ON a.id = m.appeal_id{} ORDER BY m.held_on DESC, m.id DESC LIMIT {per_page} OFFSET {}",
            w.sql(),
            (page - 1) * per_page
        );
        let count = format!("SELECT COUNT(*) FROM mediations m{}", w.sql());
        with_db!(self, p => {
            let rows: Vec<MediationRow> = bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            let (total,): (i64,) = bind_args!(sqlx::query_as(&count), &w.args).fetch_one(p).await?;
            Ok(Page {
                items: rows.into_iter().map(Mediation::try_from).collect::<Result<_>>()?,
                total,
                page,
                per_page,
            })
        })
    }

    async fn consented_replies(&self, page: i64, per_page: i64) -> Result<Page<ConsentedReply>> {
        let (page, per_page) = clamp(page, per_page);
        let sql = format!(
            "SELECT a.category, a.region_code, a.title, e.note, e.at, a.pii_key_id, a.name_enc, a.representatives_enc, \
             a.home_address_enc \
             FROM appeals a JOIN appeal_events e ON e.id = \
             (SELECT MAX(x.id) FROM appeal_events x WHERE x.appeal_id = a.id AND x.kind = 'reply') \
             WHERE a.publish_consent AND a.status = 'closed' ORDER BY a.id DESC LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        );
        type Row = (
            String,
            String,
            String,
            Option<String>,
            DateTime<Utc>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        with_db!(self, p => {
            let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(p).await?;
            let (total,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM appeals a WHERE a.publish_consent AND a.status = 'closed' \
                 AND EXISTS (SELECT 1 FROM appeal_events x WHERE x.appeal_id = a.id AND x.kind = 'reply')",
            )
            .fetch_one(p)
            .await?;
            let mut items = Vec::with_capacity(rows.len());
                        for (category, code, title, reply, replied_at, key_id, name, representatives, home) in rows {
                let mut names = Vec::new();
                if let Some(key_id) = key_id.as_deref() {
                    for (field, sealed) in [("name", &name), ("home_address", &home)] {
                        if let Some(v) = sealed.as_deref() {
                            names.push(self.keys.open(key_id, field, v)?);
                        }
                    }
                    if let Some(r) = representatives.as_deref() {
                        let list: Vec<String> = serde_json::from_str(&self.keys.open(key_id, "representatives", r)?)
                            .map_err(StoreError::other)?;
                        names.extend(list);
                    }
                }
                items.push(ConsentedReply {
                    category,
                    region: region(&code)?,
                    title,
                    reply: reply.unwrap_or_default(),
                    replied_at,
                    names,
                });
            }
            Ok(Page { items, total, page, per_page })
        })
    }

    async fn add_consultation(&self, c: &NewConsultation, actor: i64) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO consultations (title, proposal, opens_on, closes_on, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&c.title)
            .bind(&c.proposal)
            .bind(c.opens)
            .bind(c.closes)
            .bind(actor)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "consultation.open", None, json!({
                "consultation": id, "title": c.title, "opens": c.opens.to_string(), "closes": c.closes.to_string(),
                "proposal_sha256": sha256_hex(&[&c.proposal]),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn consultations(&self, page: i64, per_page: i64) -> Result<Page<Consultation>> {
        let (page, per_page) = clamp(page, per_page);
        let sql = format!(
            "SELECT {CONSULTATION_COLUMNS} FROM consultations c ORDER BY c.opens_on DESC, c.id DESC LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        );
        with_db!(self, p => {
            let rows: Vec<ConsultationRow> = sqlx::query_as(&sql).fetch_all(p).await?;
            let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM consultations").fetch_one(p).await?;
            Ok(Page { items: rows.into_iter().map(Consultation::from).collect(), total, page, per_page })
        })
    }

    async fn consultation(&self, id: i64) -> Result<Consultation> {
        let sql = format!("SELECT {CONSULTATION_COLUMNS} FROM consultations c WHERE c.id = $1");
        with_db!(self, p => {
            let row: ConsultationRow = sqlx::query_as(&sql).bind(id).fetch_one(p).await?;
            Ok(row.into())
        })
    }

    async fn add_opinion(&self, consultation: i64, text: &str) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO consultation_opinions (consultation_id, body, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(consultation)
            .bind(text)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, None, "consultation.opinion", None, json!({
                "consultation": consultation, "opinion": id, "body_sha256": sha256_hex(&[text]),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn opinions(&self, consultation: i64) -> Result<Vec<(DateTime<Utc>, String)>> {
        with_db!(self, p => {
            let rows: Vec<(DateTime<Utc>, String)> = sqlx::query_as(
                "SELECT created_at, body FROM consultation_opinions WHERE consultation_id = $1 ORDER BY id",
            )
            .bind(consultation)
            .fetch_all(p)
            .await?;
            Ok(rows)
        })
    }

    async fn respond(&self, consultation: i64, response: &str, actor: i64) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let changed = sqlx::query("UPDATE consultations SET response = $1, responded_at = $2 WHERE id = $3")
                .bind(response)
                .bind(at)
                .bind(consultation)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, at, Some(actor), "consultation.respond", None, json!({
                "consultation": consultation, "response_sha256": sha256_hex(&[response]),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        with_db!(self, p => {
            let row: Option<(String,)> = sqlx::query_as("SELECT value FROM county_settings WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await?;
            Ok(row.map(|(v,)| v))
        })
    }

    async fn set_setting(&self, key: &str, value: &str, actor: i64) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            sqlx::query(
                "INSERT INTO county_settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "setting.set", None, json!({ "key": key, "value": value }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }
}

impl SqlStore {
    /// Reception days matching `clause` (over `r`, with `$1` bound to `arg`), the
    /// soonest first, with their visitors counted by label.
    async fn reception_rows(&self, clause: &str, arg: Arg, limit: i64) -> Result<Vec<Reception>> {
        type Row = (
            i64,
            i64,
            String,
            DateTime<Utc>,
            DateTime<Utc>,
            String,
            String,
            i64,
        );
        let args = vec![arg];
        with_db!(self, p => {
            let sql = format!(
                "SELECT r.id, r.leader_id, s.display_name, r.starts_at, r.ends_at, r.place, r.topic, \
                 (SELECT COUNT(*) FROM appeal_tags t WHERE t.tag = {}) \
                 FROM receptions r JOIN staff s ON s.id = r.leader_id WHERE {clause} ORDER BY r.starts_at, r.id LIMIT {limit}",
                reception_tag_sql(numbered_pool(p))
            );
            let rows: Vec<Row> = bind_args!(sqlx::query_as(&sql), &args).fetch_all(p).await?;
            Ok(rows
                .into_iter()
                .map(|(id, leader_id, leader_name, starts_at, ends_at, place, topic, visitors)| Reception {
                    id, leader_id, leader_name, starts_at, ends_at, place, topic, visitors,
                })
                .collect())
        })
    }
}

/// The label an appeal registered at reception `r.id` carries
/// (`minsheng_core::outreach::reception_tag`), as SQL over `r`.
fn reception_tag_sql(numbered: bool) -> &'static str {
    if numbered {
        "'reception:' || r.id::text"
    } else {
        "'reception:' || r.id"
    }
}
