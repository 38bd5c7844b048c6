//! Registering, listing and reading appeals.

use super::*;
use crate::Appeals;

impl SqlStore {
    /// One attempt at registering a batch, in one transaction.
    async fn register_once(&self, registrations: &[Registration]) -> Result<Vec<Registered>> {
        let keys = &self.keys;

        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let mut counters: HashMap<(String, i32), i64> = HashMap::new();
            let mut receipts = Vec::with_capacity(registrations.len());
            for reg in registrations {
                let a = &reg.appeal;
                if let Some(external) = &reg.external_id {
                    let earlier: Option<(i64, String, String)> = sqlx::query_as(
                        "SELECT id, no, tracking_code FROM appeals WHERE external_id = $1",
                    )
                    .bind(external)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((id, no, code)) = earlier {
                        receipts.push(Registered::Repeat(Receipt {
                            id,
                            no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                            tracking_code: TrackingCode::parse(&code)
                                .map_err(|_| corrupt("tracking code", &code))?,
                        }));
                        continue;
                    }
                }
                let submission_hash = a
                    .submission_key
                    .as_ref()
                    .map(|k| keys.blind_index(&format!("{}|{:?}|{}", k.as_str(), reg.actor_id, a.repeat_fingerprint())));
                if let (Some(key), Some(hash)) = (&a.submission_key, &submission_hash) {
                    let earlier: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
                        "SELECT id, no, tracking_code, submission_hash FROM appeals WHERE submission_key = $1",
                    )
                    .bind(key.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((id, no, code, earlier_hash)) = earlier {
                        if earlier_hash.as_deref() != Some(hash.as_str()) {
                            receipts.push(Registered::KeyReused);
                            continue;
                        }
                        receipts.push(Registered::Repeat(Receipt {
                            id,
                            no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                            tracking_code: TrackingCode::parse(&code)
                                .map_err(|_| corrupt("tracking code", &code))?,
                        }));
                        continue;
                    }
                }
                let outcome = &reg.opening.outcome;
                let routing_reason = serde_json::to_string(&reg.routing.reason).map_err(StoreError::other)?;
                let county = a.region.county();
                let year = local_year(a.received_at);
                // Each (county, year) counter is read once per batch and written back
                // before commit: numbers stay gapless because it is one transaction.
                let key = (county.to_string(), year);
                let seq = match counters.get_mut(&key) {
                    Some(v) => {
                        *v += 1;
                        *v
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO counters (county_code, year, value) VALUES ($1, $2, 0) \
                             ON CONFLICT (county_code, year) DO NOTHING",
                        )
                        .bind(county.as_str())
                        .bind(i64::from(year))
                        .execute(&mut *tx)
                        .await?;
                        let (v,): (i64,) = sqlx::query_as(
                            "SELECT value FROM counters WHERE county_code = $1 AND year = $2",
                        )
                        .bind(county.as_str())
                        .bind(i64::from(year))
                        .fetch_one(&mut *tx)
                        .await?;
                        counters.insert(key, v + 1);
                        v + 1
                    }
                };
                let no = AppealNo::new(year, u64::try_from(seq).unwrap_or_default());
                let mut random = [0u8; 16];
                rand::rngs::OsRng.fill_bytes(&mut random);
                let code = TrackingCode::from_random(random);
                let who = &a.appellant;
                let has_pii = !who.is_anonymous()
                    || who.id_number.is_some()
                    || who.address.is_some()
                    || !who.representatives.is_empty();
                let seal = |field: &str, v: Option<&str>| v.map(|v| keys.seal(field, v));
                let representatives = (!who.representatives.is_empty())
                    .then(|| serde_json::to_string(&who.representatives))
                    .transpose()
                    .map_err(StoreError::other)?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO appeals (county_code, no, tracking_code, submission_key, channel, kind, category, \
                     title, body, region_code, address, lat, lng, status, handler_unit_id, received_at, due_at, \
                     created_by, headcount, name_mask, phone_mask, pii_key_id, name_enc, phone_enc, id_number_enc, \
                     home_address_enc, representatives_enc, phone_bidx, track, clock_started_at, supervision_due, \
                     backlog, hard, leader_id, version, submission_hash, routing_reason, external_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
                     $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38) RETURNING id",
                )
                .bind(county.as_str())
                .bind(no.as_str())
                .bind(code.as_str())
                .bind(a.submission_key.as_ref().map(SubmissionKey::as_str))
                .bind(a.channel.code())
                .bind(a.kind.code())
                .bind(&a.category)
                .bind(&a.title)
                .bind(&a.text)
                .bind(a.region.as_str())
                .bind(a.address.as_deref())
                .bind(a.location.map(|l| l.0))
                .bind(a.location.map(|l| l.1))
                .bind(outcome.state.code())
                .bind(outcome.lead)
                .bind(a.received_at)
                .bind(outcome.due_at)
                .bind(reg.actor_id)
                .bind(i64::from(who.headcount))
                .bind(who.name.as_deref().map(mask::name))
                .bind(who.phone.as_ref().map(Phone::masked))
                .bind(has_pii.then(|| keys.current_id().to_owned()))
                .bind(seal("name", who.name.as_deref()))
                .bind(seal("phone", who.phone.as_ref().map(Phone::as_str)))
                .bind(seal("id_number", who.id_number.as_ref().map(IdNumber::as_str)))
                .bind(seal("home_address", who.address.as_deref()))
                .bind(seal("representatives", representatives.as_deref()))
                .bind(who.phone.as_ref().map(|ph| keys.blind_index(ph.as_str())))
                .bind(reg.opening.track.code())
                .bind(outcome.clock_started_at)
                .bind(outcome.supervision_due)
                .bind(outcome.backlog)
                .bind(outcome.hard)
                .bind(outcome.leader)
                .bind(1 + i64::try_from(reg.opening.steps.len()).unwrap_or(0))
                .bind(submission_hash)
                .bind(&routing_reason)
                .bind(reg.external_id.as_deref())
                .fetch_one(&mut *tx)
                .await?;
                for att in &a.attachments {
                    sqlx::query(
                        "INSERT INTO attachments (appeal_id, file_name, content_type, size, sha256) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(&att.file_name)
                    .bind(&att.content_type)
                    .bind(i64::try_from(att.size).unwrap_or(i64::MAX))
                    .bind(&att.sha256)
                    .execute(&mut *tx)
                    .await?;
                }
                for tag in &reg.tags {
                    sqlx::query("INSERT INTO appeal_tags (appeal_id, tag) VALUES ($1, $2)")
                        .bind(id)
                        .bind(tag)
                        .execute(&mut *tx)
                        .await?;
                }
                // The registration's own record carries what the appeal is, without
                // personal data; then one record per step the system took.
                append_audit!(tx, chain, crate::now(), reg.actor_id, "appeal.receive", Some(id), json!({
                    "received_at": a.received_at.to_rfc3339(),
                    "content_sha256": sha256_hex(&[&a.title, &a.text, a.address.as_deref().unwrap_or("")]),
                    "no": no.as_str(),
                    "channel": a.channel.code(),
                    "kind": a.kind.code(),
                    "category": a.category,
                    "region": a.region.as_str(),
                    "track": reg.opening.track.code(),
                    "routing": {"lead": reg.routing.lead, "co": reg.routing.co, "reason": reg.routing.reason},
                    "external_id": reg.external_id,
                    "pii_key_id": has_pii.then(|| keys.current_id()),
                    "tags": reg.tags,
                }));
                insert_step!(tx, chain, id, a.received_at, reg.actor_id, &Step::Registered, reg.routing.lead, outcome);
                for step in &reg.opening.steps {
                    insert_step!(tx, chain, id, step.at, step.actor, &Step::Act(step.command.clone()), step.command.unit(), outcome);
                }
                receipts.push(Registered::Stored(Receipt { id, no, tracking_code: code }));
            }
            for ((county, year), value) in &counters {
                sqlx::query("UPDATE counters SET value = $1 WHERE county_code = $2 AND year = $3")
                    .bind(value)
                    .bind(county)
                    .bind(i64::from(*year))
                    .execute(&mut *tx)
                    .await?;
            }
            commit_chain!(tx, chain);
            Ok(receipts)
        })
    }

    fn open_pii(&self, row: &PiiRow, headcount: i64) -> Result<Appellant> {
        let Some(key_id) = row.pii_key_id.as_deref() else {
            return Ok(Appellant {
                headcount: u32::try_from(headcount).unwrap_or(1),
                ..Appellant::anonymous()
            });
        };
        let open = |field: &str, v: &Option<String>| -> Result<Option<String>> {
            v.as_deref()
                .map(|s| self.keys.open(key_id, field, s))
                .transpose()
                .map_err(StoreError::from)
        };
        let phone = open("phone", &row.phone_enc)?
            .map(|p| Phone::parse(&p).map_err(|_| corrupt("phone", "(sealed)")))
            .transpose()?;
        let id_number = open("id_number", &row.id_number_enc)?
            .map(|p| IdNumber::parse(&p).map_err(|_| corrupt("ID number", "(sealed)")))
            .transpose()?;
        let representatives = open("representatives", &row.representatives_enc)?
            .map(|r| serde_json::from_str(&r).map_err(StoreError::other))
            .transpose()?
            .unwrap_or_default();
        Ok(Appellant {
            name: open("name", &row.name_enc)?,
            phone,
            id_number,
            address: open("home_address", &row.home_address_enc)?,
            headcount: u32::try_from(headcount).unwrap_or(1),
            representatives,
        })
    }
}

#[async_trait]
impl Appeals for SqlStore {
    async fn register_appeals(&self, registrations: &[Registration]) -> Result<Vec<Registered>> {
        match self.register_once(registrations).await {
            // Two posts of one form raced (PostgreSQL lets both look before either
            // writes): the loser's retry finds the winner's receipt.
            Err(StoreError::Conflict(_))
                if registrations
                    .iter()
                    .any(|r| r.appeal.submission_key.is_some()) =>
            {
                self.register_once(registrations).await
            }
            other => other,
        }
    }

    async fn list_appeals(
        &self,
        scope: &ListScope,
        filter: &InboxFilter,
        page: i64,
        per_page: i64,
    ) -> Result<Page<AppealSummary>> {
        let per_page = per_page.clamp(1, 200);
        let page = page.clamp(1, 1_000_000);
        let mut w = Where::default();
        match scope {
            ListScope::Unit(u) => {
                let p = w.arg(Arg::Int(*u));
                w.clauses.push(format!("a.handler_unit_id = {p}"));
            }
            ListScope::Visible(s) => w.scope(s),
        }
        if let Some(s) = filter.status {
            let p = w.arg(Arg::Text(s.code().into()));
            w.clauses.push(format!("a.status = {p}"));
        }
        if let Some(c) = &filter.category {
            let p = w.arg(Arg::Text(c.clone()));
            w.clauses.push(format!("a.category = {p}"));
        }
        if let Some(t) = &filter.township {
            let p = w.arg(Arg::Text(format!("{}%", t.prefix())));
            w.clauses.push(format!("a.region_code LIKE {p}"));
        }
        if let Some(c) = filter.channel {
            let p = w.arg(Arg::Text(c.code().into()));
            w.clauses.push(format!("a.channel = {p}"));
        }
        if let Some(t) = filter.received_from {
            let p = w.arg(Arg::Time(t));
            w.clauses.push(format!("a.received_at >= {p}"));
        }
        if let Some(t) = filter.received_before {
            let p = w.arg(Arg::Time(t));
            w.clauses.push(format!("a.received_at < {p}"));
        }
        if let Some(t) = filter.due_before {
            let p = w.arg(Arg::Time(t));
            w.clauses.push(format!("a.due_at < {p}"));
        }
        if filter.supervised {
            w.clauses.push("a.supervision_due IS NOT NULL".into());
        }
        if filter.flagged {
            let p = w.arg(Arg::Bool(true));
            let q = w.arg(Arg::Bool(true));
            w.clauses.push(format!("(a.backlog = {p} OR a.hard = {q})"));
        }
        if let Some(tag) = &filter.tag {
            let p = w.arg(Arg::Text(tag.clone()));
            w.clauses.push(format!(
                "a.id IN (SELECT appeal_id FROM appeal_tags WHERE tag = {p})"
            ));
        }
        if let Some(n) = &filter.number {
            let n: String = n
                .trim()
                .to_ascii_uppercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let p = w.arg(Arg::Text(format!("%{n}%")));
            w.clauses.push(format!("a.no LIKE {p}"));
        }
        let where_sql = w.sql();
        let count_sql = format!("SELECT COUNT(*) FROM appeals a{where_sql}");
        let mut page_args = Where {
            clauses: Vec::new(),
            args: Vec::new(),
        };
        let limit = page_args.arg(Arg::Int(per_page));
        let offset = page_args.arg(Arg::Int((page - 1) * per_page));
        // Page placeholders come after the filter's.
        let shift = |ph: &str| format!("${}", ph[1..].parse::<usize>().unwrap_or(0) + w.args.len());
        let list_sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM appeals a{where_sql} \
             ORDER BY (a.due_at IS NULL), a.due_at, a.received_at, a.id LIMIT {} OFFSET {}",
            shift(&limit),
            shift(&offset)
        );
        with_db!(self, p => {
            let (total,): (i64,) = bind_args!(sqlx::query_as(&count_sql), &w.args).fetch_one(p).await?;
            let rows: Vec<SummaryRow> = bind_args!(
                bind_args!(sqlx::query_as(&list_sql), &w.args),
                &page_args.args
            )
            .fetch_all(p)
            .await?;
            Ok(Page {
                items: rows.into_iter().map(AppealSummary::try_from).collect::<Result<_>>()?,
                total,
                page,
                per_page,
            })
        })
    }

    async fn appeal(&self, no: &AppealNo, scope: &Scope) -> Result<AppealDetail> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM appeals a WHERE a.no = $1 ORDER BY a.id LIMIT 1"
        );
        with_db!(self, p => {
            let row: SummaryRow = sqlx::query_as(&sql).bind(no.as_str()).fetch_one(p).await?;
            let summary = AppealSummary::try_from(row)?;
            // Outside the scope it does not exist; nothing is decrypted for it.
            if !scope.allows(&summary.region_code, summary.handler_unit_id) {
                return Err(StoreError::NotFound);
            }
            let pii: PiiRow = sqlx::query_as(
                "SELECT tracking_code, body, address, pii_key_id, name_enc, phone_enc, id_number_enc, \
                 home_address_enc, representatives_enc FROM appeals WHERE id = $1",
            )
            .bind(summary.id)
            .fetch_one(p)
            .await?;
            let rows: Vec<EventRow> = sqlx::query_as(EVENT_QUERY).bind(summary.id).fetch_all(p).await?;
            let (events, history, routed_unit) = history(&rows)?;
            let (category, version): (String, i64) =
                sqlx::query_as("SELECT category, version FROM appeals WHERE id = $1")
                    .bind(summary.id)
                    .fetch_one(p)
                    .await?;
            let tags: Vec<(String,)> =
                sqlx::query_as("SELECT tag FROM appeal_tags WHERE appeal_id = $1 ORDER BY tag")
                    .bind(summary.id)
                    .fetch_all(p)
                    .await?;
            Ok(AppealDetail {
                tags: tags.into_iter().map(|(t,)| t).collect(),
                appellant: self.open_pii(&pii, summary.headcount)?,
                tracking_code: TrackingCode::parse(&pii.tracking_code)
                    .map_err(|_| corrupt("tracking code", &pii.tracking_code))?,
                text: pii.body,
                address: pii.address,
                events,
                facts: CaseFacts {
                    id: summary.id,
                    kind: summary.kind,
                    category,
                    region: summary.region_code.clone(),
                    received_at: summary.received_at,
                    routed_unit,
                    routed_co: Vec::new(),
                },
                history,
                version,
                summary,
            })
        })
    }

    async fn public_view(&self, code: &TrackingCode) -> Result<PublicView> {
        with_db!(self, p => {
            let (id, no, kind, category, region, status, received_at): (i64, String, String, String, String, String, DateTime<Utc>) =
                sqlx::query_as(
                    "SELECT id, no, kind, category, region_code, status, received_at FROM appeals WHERE tracking_code = $1",
                )
                .bind(code.as_str())
                .fetch_one(p)
                .await?;
            let rows: Vec<EventRow> = sqlx::query_as(EVENT_QUERY).bind(id).fetch_all(p).await?;
            let (events, history, routed_unit) = history(&rows)?;
            Ok(PublicView {
                no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                status: State::from_code(&status).ok_or_else(|| corrupt("status", &status))?,
                facts: CaseFacts {
                    id,
                    kind: AppealKind::from_code(&kind).ok_or_else(|| corrupt("kind", &kind))?,
                    category: category.clone(),
                    region: RegionCode::parse(&region).map_err(|_| corrupt("region", &region))?,
                    received_at,
                    routed_unit,
                    routed_co: Vec::new(),
                },
                history,
                category,
                received_at,
                // The public sees which unit acted and what it said, never who: each
                // entry is rebuilt from the decided step's allow-list, not the stored note.
                events: events.iter().filter_map(Event::public_entry).collect(),
            })
        })
    }

    async fn final_precedents(&self, appeal_id: i64) -> Result<Vec<AppealNo>> {
        with_db!(self, p => {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT b.no FROM appeals a JOIN appeals b ON b.phone_bidx = a.phone_bidx \
                 AND b.category = a.category AND b.status = $2 AND b.id <> a.id \
                 WHERE a.id = $1 AND a.phone_bidx IS NOT NULL ORDER BY b.id",
            )
            .bind(appeal_id)
            .bind(State::Final.code())
            .fetch_all(p)
            .await?;
            rows.into_iter()
                .map(|(no,)| AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no)))
                .collect()
        })
    }

    async fn appeals_by_phone(&self, phone: &Phone, scope: &Scope) -> Result<Vec<AppealSummary>> {
        let mut w = Where::default();
        let p1 = w.arg(Arg::Text(self.keys.blind_index(phone.as_str())));
        w.clauses.push(format!("a.phone_bidx = {p1}"));
        w.scope(scope);
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM appeals a{} ORDER BY a.received_at DESC LIMIT 50",
            w.sql()
        );
        with_db!(self, p => {
            let rows: Vec<SummaryRow> = bind_args!(sqlx::query_as(&sql), &w.args).fetch_all(p).await?;
            rows.into_iter().map(AppealSummary::try_from).collect()
        })
    }
}
