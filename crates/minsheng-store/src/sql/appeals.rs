//! Registering, listing and reading appeals.

use super::*;
use super::{alerts, search};
use crate::{Appeals, AttachedFile, SealedBatch};
use minsheng_core::alerts::{AlertLevel, AlertPolicy, Raise, Signal};
use minsheng_core::workflow::EscalateTo;

/// A batch of registrations with everything about each row that needs no number or id
/// computed: personal data sealed, masks, blind indexes, hashes and the encoded routing
/// reason. Made outside any transaction.
pub(crate) struct Sealed {
    regs: Vec<Registration>,
    rows: Vec<SealedRow>,
    submission_hashes: Vec<Option<String>>,
    external_ids: Vec<String>,
    form_keys: Vec<String>,
}

/// The supervisors' list: an open order, or an overdue answer gone up to its unit's
/// head.
fn supervised(w: &mut Where) {
    let p = w.arg(Arg::Text(EscalateTo::UnitHead.tag()));
    w.clauses.push(format!(
        "(a.supervision_due IS NOT NULL OR a.id IN (SELECT appeal_id FROM appeal_tags WHERE tag = {p}))"
    ));
}

/// One registration's row of `appeals` but its county, number and tracking code.
struct SealedRow {
    county: RegionCode,
    /// The phone's blind index, if a phone was given (for repeat alerts).
    phone_bidx: Option<String>,
    /// The columns from `submission_key` on, in the insert's order.
    tail: Vec<Arg>,
    /// Its timeline's first entries (appeal id still to be set): the registration,
    /// then each step taken at once.
    events: Vec<NewEvent>,
    /// The registration's audit data but its number, written ahead.
    receive: DataBut,
}

impl Sealed {
    pub(crate) fn len(&self) -> usize {
        self.regs.len()
    }

    pub(crate) fn registrations(&self) -> &[Registration] {
        &self.regs
    }

    /// Concatenates batches (the lists of keys to look up are concatenated too).
    pub(crate) fn merge(batches: Vec<Sealed>) -> Sealed {
        let mut out = Sealed {
            regs: Vec::new(),
            rows: Vec::new(),
            submission_hashes: Vec::new(),
            external_ids: Vec::new(),
            form_keys: Vec::new(),
        };
        for mut b in batches {
            out.regs.append(&mut b.regs);
            out.rows.append(&mut b.rows);
            out.submission_hashes.append(&mut b.submission_hashes);
            out.external_ids.append(&mut b.external_ids);
            out.form_keys.append(&mut b.form_keys);
        }
        out
    }
}

impl SqlStore {
    /// Builds a batch's rows; CPU work only, so a caller may do it for the next batch
    /// while the store writes this one.
    pub(crate) fn seal(&self, registrations: Vec<Registration>) -> Result<Sealed> {
        let keys = &self.keys;
        // What makes a repeat: the keyed hash of a form key with its content.
        let submission_hashes: Vec<Option<String>> = registrations
            .iter()
            .map(|reg| {
                reg.appeal.submission_key.as_ref().map(|k| {
                    keys.blind_index(&format!(
                        "{}|{:?}|{}",
                        k.as_str(),
                        reg.actor_id,
                        reg.appeal.repeat_fingerprint()
                    ))
                })
            })
            .collect();
        let external_ids: Vec<String> = registrations
            .iter()
            .filter_map(|r| r.external_id.clone())
            .collect();
        let form_keys: Vec<String> = registrations
            .iter()
            .filter_map(|r| {
                r.appeal
                    .submission_key
                    .as_ref()
                    .map(|k| k.as_str().to_owned())
            })
            .collect();
        let mut rows = Vec::with_capacity(registrations.len());
        for (i, reg) in registrations.iter().enumerate() {
            let a = &reg.appeal;
            let outcome = &reg.opening.outcome;
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
            let routing_reason =
                serde_json::to_string(&reg.routing.reason).map_err(StoreError::other)?;
            let answers = (!a.answers.is_empty())
                .then(|| serde_json::to_string(&a.answers))
                .transpose()
                .map_err(StoreError::other)?;
            // One audit record for the registration: what the appeal is, without
            // personal data, where its first timeline entry left it, and each step the
            // system took at once (they are one state change, in one transaction).
            let mut events = Vec::with_capacity(1 + reg.opening.steps.len());
            events.push(NewEvent::new(
                0,
                a.received_at,
                reg.actor_id,
                &Step::Registered,
                reg.routing.lead,
                outcome,
            )?);
            for step in &reg.opening.steps {
                events.push(NewEvent::new(
                    0,
                    step.at,
                    step.actor,
                    &Step::Act(step.command.clone()),
                    step.command.unit(),
                    outcome,
                )?);
            }
            let steps: Vec<serde_json::Value> = events[1..]
                .iter_mut()
                .map(|e| std::mem::take(&mut e.audit))
                .collect();
            let serde_json::Value::Object(receive) = json!({
                "registered": std::mem::take(&mut events[0].audit),
                "steps": steps,
                "received_at": a.received_at.to_rfc3339(),
                "content_sha256": sha256_hex(&[&a.title, &a.text, a.address.as_deref().unwrap_or("")]),
                "channel": a.channel.code(),
                "kind": a.kind.code(),
                "category": a.category,
                "region": a.region.as_str(),
                "track": reg.opening.track.code(),
                "routing": {"lead": reg.routing.lead, "co": reg.routing.co, "reason": reg.routing.reason, "accused": reg.routing.accused},
                "external_id": reg.external_id,
                "api_key_id": reg.api_key_id,
                                "answers": a.answers,
                "publish_consent": a.publish_consent,
                "pii_key_id": has_pii.then(|| keys.current_id()),
                                "tags": reg.tags,
                "messages": reg.effects,
            }) else {
                unreachable!("json! of an object literal is an object")
            };
            let phone_bidx = who.phone.as_ref().map(|ph| keys.blind_index(ph.as_str()));
            rows.push(SealedRow {
                county: a.region.county(),
                phone_bidx: phone_bidx.clone(),
                tail: vec![
                    Arg::OptText(a.submission_key.as_ref().map(|k| k.as_str().to_owned())),
                    Arg::Text(a.channel.code().to_owned()),
                    Arg::Text(a.kind.code().to_owned()),
                    Arg::Text(a.category.clone()),
                    Arg::Text(a.title.clone()),
                    Arg::Text(a.text.clone()),
                    Arg::Text(a.region.as_str().to_owned()),
                    Arg::OptText(a.address.clone()),
                    Arg::OptFloat(a.location.map(|l| l.0)),
                    Arg::OptFloat(a.location.map(|l| l.1)),
                    Arg::Text(outcome.state.code().to_owned()),
                    Arg::OptInt(outcome.lead),
                    Arg::Time(a.received_at),
                    Arg::OptTime(outcome.due_at),
                    Arg::OptInt(reg.actor_id),
                    Arg::Int(i64::from(who.headcount)),
                    Arg::OptText(who.name.as_deref().map(mask::name)),
                    Arg::OptText(who.phone.as_ref().map(Phone::masked)),
                    Arg::OptText(has_pii.then(|| keys.current_id().to_owned())),
                    Arg::OptText(seal("name", who.name.as_deref())),
                    Arg::OptText(seal("phone", who.phone.as_ref().map(Phone::as_str))),
                    Arg::OptText(seal(
                        "id_number",
                        who.id_number.as_ref().map(IdNumber::as_str),
                    )),
                    Arg::OptText(seal("home_address", who.address.as_deref())),
                    Arg::OptText(seal("representatives", representatives.as_deref())),
                    Arg::OptText(phone_bidx),
                    Arg::Text(reg.opening.track.code().to_owned()),
                    Arg::OptTime(outcome.clock_started_at),
                    Arg::OptTime(outcome.supervision_due),
                    Arg::Bool(outcome.backlog),
                    Arg::Bool(outcome.hard),
                    Arg::OptInt(outcome.leader),
                    Arg::Int(1 + i64::try_from(reg.opening.steps.len()).unwrap_or(0)),
                    Arg::OptText(submission_hashes[i].clone()),
                    Arg::Text(routing_reason),
                    Arg::OptText(reg.external_id.clone()),
                    Arg::OptInt(reg.api_key_id),
                    Arg::OptText(answers),
                    Arg::Bool(a.publish_consent),
                ],
                events,
                receive: DataBut::new("no", receive),
            });
        }
        Ok(Sealed {
            regs: registrations,
            rows,
            submission_hashes,
            external_ids,
            form_keys,
        })
    }

    /// One attempt at writing a sealed batch, in one transaction. Rows are written many
    /// to a statement (appeals, tags, events, audit records), so a batch of a thousand
    /// costs a few dozen statements, not thousands.
    async fn write_sealed(&self, sealed: Sealed) -> Result<Vec<Registered>> {
        let Sealed {
            regs: registrations,
            mut rows,
            submission_hashes,
            external_ids,
            form_keys,
        } = sealed;
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            // Appeals already stored under these external ids or form keys.
            let mut by_external: HashMap<String, (Receipt, Option<String>)> = HashMap::new();
            let mut by_key: HashMap<String, (Receipt, Option<String>)> = HashMap::new();
            // One statement for both lists (each statement costs a round trip to the
            // database while the writer holds it).
            let mut parts = Vec::new();
            let mut lists = Vec::new();
            for (column, wanted) in [("external_id", &external_ids), ("submission_key", &form_keys)] {
                if wanted.is_empty() {
                    continue;
                }
                lists.push(serde_json::to_string(wanted).map_err(StoreError::other)?);
                parts.push(format!(
                    "SELECT id, no, tracking_code, {column}, submission_hash, '{column}' FROM appeals WHERE {column} {}",
                    in_json_list_at(numbered(&tx), &format!("${}", lists.len()))
                ));
            }
            if !parts.is_empty() {
                let sql = parts.join(" UNION ALL ");
                // Not a cached statement: its plan is made for these values. A plan
                // cached while the table was empty (an import's first batch) would scan
                // the whole table for every lookup after (PostgreSQL).
                let mut query = sqlx::query_as(&sql).persistent(false);
                for list in lists {
                    query = query.bind(list);
                }
                let rows: Vec<(i64, String, String, String, Option<String>, String)> =
                    query.fetch_all(&mut *tx).await?;
                for (id, no, code, key, hash, column) in rows {
                    let receipt = Receipt {
                        id,
                        no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                        tracking_code: TrackingCode::parse(&code)
                            .map_err(|_| corrupt("tracking code", &code))?,
                    };
                    if column == "external_id" {
                        by_external.insert(key, (receipt, hash));
                    } else {
                        by_key.insert(key, (receipt, hash));
                    }
                }
            }
            // What becomes of each registration: an earlier receipt, a refusal, or a
            // new appeal (or a repeat of one earlier in this batch).
            enum Fate {
                Done(Registered),
                New(usize),
                SameAs(usize),
            }
            let mut fates = Vec::with_capacity(registrations.len());
            let mut new_rows: Vec<usize> = Vec::new();
            let mut batch_external: HashMap<&str, (usize, Option<&String>)> = HashMap::new();
            let mut batch_keys: HashMap<&str, (usize, Option<&String>)> = HashMap::new();
            for (i, reg) in registrations.iter().enumerate() {
                let hash = submission_hashes[i].as_ref();
                if let Some(external) = reg.external_id.as_deref() {
                    if let Some((r, earlier)) = by_external.get(external) {
                        // Sent with a form key: the same id with other content is
                        // refused, not answered with the first receipt.
                        let same = hash.is_none() || earlier.is_none() || earlier.as_ref() == hash;
                        fates.push(Fate::Done(if same {
                            Registered::Repeat(r.clone())
                        } else {
                            Registered::KeyReused
                        }));
                        continue;
                    }
                    if let Some((first, earlier)) = batch_external.get(external) {
                        // The same id twice in one batch (two posts gathered into one
                        // transaction): as against a stored one.
                        let same = hash.is_none() || earlier.is_none() || *earlier == hash;
                        fates.push(if same {
                            Fate::SameAs(*first)
                        } else {
                            Fate::Done(Registered::KeyReused)
                        });
                        continue;
                    }
                }
                if let Some(key) = reg.appeal.submission_key.as_ref().map(|k| k.as_str()) {
                    if let Some((r, earlier)) = by_key.get(key) {
                        fates.push(Fate::Done(if earlier.as_ref() == hash {
                            Registered::Repeat(r.clone())
                        } else {
                            Registered::KeyReused
                        }));
                        continue;
                    }
                    if let Some((first, earlier)) = batch_keys.get(key) {
                        fates.push(if *earlier == hash {
                            Fate::SameAs(*first)
                        } else {
                            Fate::Done(Registered::KeyReused)
                        });
                        continue;
                    }
                }
                                // A screened dispute becomes one appeal: claimed here, under the write
                // lock (a second claim, in this batch or racing it, finds it taken).
                if let Some(dispute) = reg.dispute {
                    let claimed = sqlx::query(
                        "UPDATE disputes SET state = 'case', updated_at = $1 WHERE id = $2 AND state IN ('open', 'following')",
                    )
                    .bind(crate::now())
                    .bind(dispute)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if claimed == 0 {
                        fates.push(Fate::Done(Registered::DisputeTaken));
                        continue;
                    }
                }
                let slot = new_rows.len();
                new_rows.push(i);
                if let Some(external) = reg.external_id.as_deref() {
                    batch_external.insert(external, (slot, hash));
                }
                if let Some(key) = reg.appeal.submission_key.as_ref().map(|k| k.as_str()) {
                    batch_keys.insert(key, (slot, hash));
                }
                fates.push(Fate::New(slot));
            }
            // Numbers: each (county, year) counter read once; gapless because it is
            // one transaction.
            // Each counter is raised once by all it numbers here, and the numbers
            // before the new value are this batch's.
            let mut wanted: HashMap<(String, i32), i64> = HashMap::new();
            for &i in &new_rows {
                let counter = (rows[i].county.to_string(), local_year(registrations[i].appeal.received_at));
                *wanted.entry(counter).or_default() += 1;
            }
            let mut counters: HashMap<(String, i32), i64> = HashMap::with_capacity(wanted.len());
            for ((county, year), n) in wanted {
                let (v,): (i64,) = sqlx::query_as(
                    "INSERT INTO counters (county_code, year, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (county_code, year) DO UPDATE SET value = counters.value + $3 \
                     RETURNING value",
                )
                .bind(county.as_str())
                .bind(i64::from(year))
                .bind(n)
                .fetch_one(&mut *tx)
                .await?;
                counters.insert((county, year), v - n);
            }
            let mut appeal_rows = Vec::with_capacity(new_rows.len());
            let mut issued = Vec::with_capacity(new_rows.len());
            for &i in &new_rows {
                let reg = &registrations[i];
                let row = &mut rows[i];
                let county = row.county.clone();
                let year = local_year(reg.appeal.received_at);
                let counter = (county.to_string(), year);
                let seq = counters.get_mut(&counter).map(|v| {
                    *v += 1;
                    *v
                }).unwrap_or(1);
                let no = AppealNo::new(year, u64::try_from(seq).unwrap_or_default());
                let mut random = [0u8; 16];
                rand::thread_rng().fill_bytes(&mut random);
                let code = TrackingCode::from_random(random);
                let mut args = Vec::with_capacity(3 + row.tail.len());
                args.push(Arg::Text(county.to_string()));
                args.push(Arg::Text(no.as_str().to_owned()));
                args.push(Arg::Text(code.as_str().to_owned()));
                args.append(&mut row.tail);
                appeal_rows.push(args);
                issued.push((no, code));
            }
            // The appeals, many to a statement; their ids come back by tracking code.
            let mut ids: HashMap<String, i64> = HashMap::with_capacity(appeal_rows.len());
            if let Some(cols) = appeal_rows.first().map(Vec::len) {
                let per_statement = rows_per_statement(cols);
                let mut appeal_rows = appeal_rows.into_iter().peekable();
                while appeal_rows.peek().is_some() {
                    let chunk: Vec<Vec<Arg>> = appeal_rows.by_ref().take(per_statement).collect();
                    let sql = values_sql(
                        numbered(&tx),
                        "INSERT INTO appeals (county_code, no, tracking_code, submission_key, channel, kind, category, \
                         title, body, region_code, address, lat, lng, status, handler_unit_id, received_at, due_at, \
                         created_by, headcount, name_mask, phone_mask, pii_key_id, name_enc, phone_enc, id_number_enc, \
                         home_address_enc, representatives_enc, phone_bidx, track, clock_started_at, supervision_due, \
                         backlog, hard, leader_id, version, submission_hash, routing_reason, external_id, \
                                                  api_key_id, answers, publish_consent)",
                        cols,
                        chunk.len(),
                        " RETURNING id, tracking_code",
                    );
                    let rows: Vec<(i64, String)> = bind_args!(sqlx::query_as(&sql), chunk.into_iter().flatten())
                        .fetch_all(&mut *tx)
                        .await?;
                    ids.extend(rows.into_iter().map(|(id, code)| (code, id)));
                }
            }
            // Then, appeal by appeal in order, what hangs off each: labels, files, the
            // timeline and the registration's audit record.
                        let (mut tag_rows, mut file_rows, mut event_rows, mut audit_rows, mut accused_rows) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut message_rows = Vec::new();
            let mut stored = Vec::with_capacity(new_rows.len());
            let mut index_rows: Vec<(i64, &[String])> = Vec::with_capacity(new_rows.len());
            for (slot, &i) in new_rows.iter().enumerate() {
                let reg = &registrations[i];
                let a = &reg.appeal;
                let (no, code) = &issued[slot];
                let id = *ids
                    .get(code.as_str())
                    .ok_or_else(|| StoreError::msg("an inserted appeal did not come back"))?;
                for tag in &reg.tags {
                    tag_rows.push(vec![Arg::Int(id), Arg::Text(tag.clone())]);
                }
                                for unit in &reg.routing.accused {
                    accused_rows.push(vec![Arg::Int(id), Arg::Int(*unit)]);
                }
                // The messages its arrival sets off, named in its audit record.
                for effect in &reg.effects {
                                        let at = crate::now();
                    message_rows.push(vec![
                        Arg::Time(at),
                        Arg::Int(id),
                        Arg::Text(effect.code().to_owned()),
                                                Arg::Text(serde_json::to_string(effect).map_err(StoreError::other)?),
                        Arg::Time(at),
                    ]);
                }
                for att in &a.attachments {
                    file_rows.push(vec![
                        Arg::Int(id),
                        Arg::Text(att.file_name.clone()),
                        Arg::Text(att.content_type.clone()),
                        Arg::Int(i64::try_from(att.size).unwrap_or(i64::MAX)),
                        Arg::Text(att.sha256.clone()),
                    ]);
                }
                let row = &mut rows[i];
                for mut event in row.events.drain(..) {
                    event.appeal_id = id;
                    event_rows.push(event.into_args());
                }
                let receive = row.receive.with(no.as_str());
                audit_rows.push(chain.record_text(crate::now(), reg.actor_id, "appeal.receive".into(), Some(id), receive).into_args());
                stored.push(Receipt { id, no: no.clone(), tracking_code: code.clone() });
                index_rows.push((id, reg.index_terms.as_slice()));
            }
            write_index!(tx, &index_rows);
            insert_rows!(tx, "INSERT INTO appeal_tags (appeal_id, tag)", tag_rows);
            insert_rows!(tx, "INSERT INTO appeal_accused (appeal_id, unit_id)", accused_rows);
            insert_rows!(tx, "INSERT INTO attachments (appeal_id, file_name, content_type, size, sha256)", file_rows);
                        insert_rows!(tx, EVENT_INSERT, event_rows);
            insert_rows!(tx, "INSERT INTO outbox (created_at, appeal_id, kind, payload, next_attempt_at)", message_rows);
                        insert_rows!(tx, AUDIT_INSERT, audit_rows);
            add_tallies!(tx, new_rows.iter().flat_map(|&i| &registrations[i].opening.tallies));
            let raised: alerts::Raised = stored
                .iter()
                .zip(&new_rows)
                .map(|(r, &i)| alerts::Arriving {
                    id: r.id,
                    region: registrations[i].appeal.region.to_string(),
                    signals: registrations[i].signals.clone(),
                    phone: rows[i].phone_bidx.clone().map(|b| (b, registrations[i].appeal.received_at)),
                })
                .collect();
                        let came_back: Vec<(i64, String, String, DateTime<Utc>)> = stored
                .iter()
                .zip(&new_rows)
                .filter_map(|(r, &i)| {
                    let a = &registrations[i].appeal;
                    rows[i].phone_bidx.clone().map(|b| (r.id, b, a.category.clone(), a.received_at))
                })
                .collect();
                        raise_alerts!(tx, chain, raised, crate::now());
            mark_came_back!(tx, chain, came_back);
            for (r, &i) in stored.iter().zip(&new_rows) {
                                let Some(dispute) = registrations[i].dispute else { continue };
                sqlx::query("UPDATE disputes SET appeal_id = $1 WHERE id = $2")
                    .bind(r.id)
                    .bind(dispute)
                    .execute(&mut *tx)
                    .await?;
                append_audit!(tx, chain, crate::now(), registrations[i].actor_id, "dispute.to_appeal", Some(r.id), json!({ "dispute": dispute }));
            }
            commit_chain!(tx, chain);
            Ok(fates
                .into_iter()
                .map(|f| match f {
                    Fate::Done(r) => r,
                    Fate::New(slot) => Registered::Stored(stored[slot].clone()),
                    Fate::SameAs(slot) => Registered::Repeat(stored[slot].clone()),
                })
                .collect())
        })
    }

    pub(super) fn open_pii(&self, row: &PiiRow, headcount: i64) -> Result<Appellant> {
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

/// The public replies of the appeals with ids in `$1..=$2`, in order.
const REPLIES_BETWEEN: &str = "SELECT appeal_id, note FROM appeal_events \
     WHERE appeal_id BETWEEN $1 AND $2 AND kind IN ('reply', 'issue_review') AND note IS NOT NULL \
     ORDER BY appeal_id, id";

fn with_replies(
    rows: Vec<(i64, String, String, Option<String>)>,
    replies: Vec<(i64, String)>,
) -> Vec<IndexSource> {
    let mut by_appeal: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, note) in replies {
        by_appeal.entry(id).or_default().push(note);
    }
    rows.into_iter()
        .map(|(id, title, text, address)| IndexSource {
            replies: by_appeal.remove(&id).unwrap_or_default(),
            id,
            title,
            text,
            address,
        })
        .collect()
}

#[async_trait]
impl Appeals for SqlStore {
    fn seal_registrations(&self, registrations: Vec<Registration>) -> Result<SealedBatch> {
        Ok(SealedBatch(self.seal(registrations)?))
    }

    async fn write_registrations(&self, batch: SealedBatch) -> Result<Vec<Registered>> {
        self.write_sealed(batch.0).await
    }

    async fn known_external_ids(&self, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted = serde_json::to_string(ids).map_err(StoreError::other)?;
        with_db!(self, p => {
            let sql = format!("SELECT external_id FROM appeals WHERE external_id {}", in_json_list(numbered_pool(p)));
            // Not cached, as in `write_sealed`.
            let rows: Vec<(String,)> = sqlx::query_as(&sql).persistent(false).bind(wanted).fetch_all(p).await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        })
    }

    async fn register_appeals(&self, registrations: &[Registration]) -> Result<Vec<Registered>> {
        let keyed = registrations
            .iter()
            .any(|r| r.appeal.submission_key.is_some());
        match self.write_sealed(self.seal(registrations.to_vec())?).await {
            // Two posts of one form raced (PostgreSQL lets both look before either
            // writes): the loser's retry finds the winner's receipt.
            Err(StoreError::Conflict(_)) if keyed => {
                self.write_sealed(self.seal(registrations.to_vec())?).await
            }
            other => other,
        }
    }

    async fn index_appeals(&self, rows: &[(i64, Vec<String>)]) -> Result<()> {
        let rows: Vec<(i64, &[String])> = rows.iter().map(|(id, t)| (*id, t.as_slice())).collect();
        with_db!(self, p => {
            let mut tx = p.begin().await?;
            write_index!(tx, &rows);
            tx.commit().await?;
            Ok(())
        })
    }

    async fn unindexed_appeals(&self, after: i64, limit: i64) -> Result<Vec<IndexSource>> {
        let limit = limit.clamp(1, 10_000);
        with_db!(self, p => {
                        // An anti-join probing the index per appeal: PostgreSQL ran the `NOT IN`
            // this was as a scan of the whole index for every appeal (hours at a
            // million unindexed appeals).
            let indexed = if numbered_pool(p) {
                "SELECT 1 FROM appeal_search s WHERE s.appeal_id = a.id"
            } else {
                "SELECT 1 FROM appeal_search s WHERE s.rowid = a.id"
            };
            let sql = format!(
                "SELECT a.id, a.title, a.body, a.address FROM appeals a WHERE a.id > $1 \
                 AND NOT EXISTS ({indexed}) ORDER BY a.id LIMIT $2"
            );
            let rows: Vec<(i64, String, String, Option<String>)> =
                sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(p).await?;
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                return Ok(Vec::new());
            };
            let replies: Vec<(i64, String)> = sqlx::query_as(REPLIES_BETWEEN)
                .bind(first.0)
                .bind(last.0)
                .fetch_all(p)
                .await?;
            Ok(with_replies(rows, replies))
        })
    }

    async fn clear_search_index(&self) -> Result<()> {
        with_db!(self, p => {
            sqlx::query("DELETE FROM appeal_search").execute(p).await?;
            Ok(())
        })
    }

    async fn index_source(&self, id: i64) -> Result<IndexSource> {
        with_db!(self, p => {
            let row: (i64, String, String, Option<String>) =
                sqlx::query_as("SELECT id, title, body, address FROM appeals WHERE id = $1")
                    .bind(id)
                    .fetch_one(p)
                    .await?;
            let replies: Vec<(i64, String)> =
                sqlx::query_as(REPLIES_BETWEEN).bind(id).bind(id).fetch_all(p).await?;
            with_replies(vec![row], replies).pop().ok_or(StoreError::NotFound)
        })
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
            supervised(&mut w);
        }
        if let Some((queue, me)) = filter.queue {
            let sel = queue.selection();
            // A queue never holds an ended case.
            let ended: Vec<String> = State::ALL
                .iter()
                .filter(|s| s.is_terminal())
                .map(|s| w.arg(Arg::Text(s.code().into())))
                .collect();
            w.clauses
                .push(format!("a.status NOT IN ({})", ended.join(", ")));
            let mut narrow: Vec<String> = Vec::new();
            if !sel.states.is_empty() {
                let states: Vec<String> = sel
                    .states
                    .iter()
                    .map(|s| w.arg(Arg::Text(s.code().into())))
                    .collect();
                narrow.push(format!("a.status IN ({})", states.join(", ")));
            }
            if let Some(t) = sel.not_track {
                let p = w.arg(Arg::Text(t.code().into()));
                narrow.push(format!("a.track <> {p}"));
            }
            if sel.due {
                narrow.push("a.due_at IS NOT NULL".into());
            }
            if sel.led {
                let p = w.arg(Arg::Int(me));
                narrow.push(format!("a.leader_id = {p}"));
            }
            if sel.grouped {
                narrow.push(
                    "a.id IN (SELECT m.appeal_id FROM cluster_members m \
                     JOIN clusters c ON c.id = m.cluster_id WHERE c.size > 1)"
                        .into(),
                );
            }
            let mut clause = if narrow.is_empty() {
                "1 = 1".to_owned()
            } else {
                narrow.join(" AND ")
            };
            if let Some(tag) = sel.or_tag {
                let p = w.arg(Arg::Text(tag.into()));
                clause = format!(
                    "(({clause}) OR a.id IN (SELECT appeal_id FROM appeal_tags WHERE tag = {p}))"
                );
            }
            w.clauses.push(clause);
            if sel.supervised {
                supervised(&mut w);
            }
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
        if let Some(cluster) = filter.cluster {
            let p = w.arg(Arg::Int(cluster));
            w.clauses.push(format!(
                "a.id IN (SELECT appeal_id FROM cluster_members WHERE cluster_id = {p})"
            ));
        }
        if let Some(unit) = filter.unit {
            let p = w.arg(Arg::Int(unit));
            w.clauses.push(format!("a.handler_unit_id = {p}"));
        }
        if let Some(alert) = filter.alert {
            let p = w.arg(Arg::Int(alert));
            w.clauses.push(format!(
                "a.id IN (SELECT appeal_id FROM alert_members WHERE alert_id = {p})"
            ));
        }
        if !filter.numbers.is_empty() {
            let list: Vec<String> = filter
                .numbers
                .iter()
                .map(|n| w.arg(Arg::Text(n.as_str().to_owned())))
                .collect();
            w.clauses.push(format!("a.no IN ({})", list.join(", ")));
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
        let numbered = with_db!(self, p => numbered_pool(p));
        let by_due = "(a.due_at IS NULL), a.due_at, a.received_at, a.id";
        // (FROM of the list, FROM of the count, order, extra columns)
        let (from, count_from, order, excerpt) = match &filter.text {
            Some(q) if q.is_empty() => {
                w.clauses.push("1 = 0".into());
                ("appeals a".to_owned(), "appeals a".to_owned(), by_due, "")
            }
            Some(q) => {
                let p = w.arg(Arg::Text(search::query_arg(numbered, q)));
                (
                    search::match_from(numbered, &p, true),
                    // Counting needs the matches, not their scores.
                    search::match_from(numbered, &p, false),
                    "s.score DESC, a.received_at DESC, a.id DESC",
                    ", a.body AS excerpt",
                )
            }
            None => ("appeals a".to_owned(), "appeals a".to_owned(), by_due, ""),
        };
        let where_sql = w.sql();
        let count_sql = format!("SELECT COUNT(*) FROM {count_from}{where_sql}");
        let mut page_args = Where {
            clauses: Vec::new(),
            args: Vec::new(),
        };
        let limit = page_args.arg(Arg::Int(per_page));
        let offset = page_args.arg(Arg::Int((page - 1) * per_page));
        // Page placeholders come after the filter's.
        let shift = |ph: &str| format!("${}", ph[1..].parse::<usize>().unwrap_or(0) + w.args.len());
        let list_sql = format!(
            "SELECT {SUMMARY_COLUMNS}{excerpt} FROM {from}{where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
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
            let accused: Vec<(i64,)> =
                sqlx::query_as("SELECT unit_id FROM appeal_accused WHERE appeal_id = $1 ORDER BY unit_id")
                    .bind(summary.id)
                    .fetch_all(p)
                    .await?;
            let accused: Vec<i64> = accused.into_iter().map(|(u,)| u).collect();
            // Outside the scope (or accusing the viewer's unit) it does not exist;
            // nothing is decrypted for it.
            if !scope.allows(&summary.region_code, summary.handler_unit_id, &accused) {
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
            #[allow(clippy::type_complexity)]
                        let (category, version, reason, lat, lng, answers, created_by): (String, i64, Option<String>, Option<f64>, Option<f64>, Option<String>, Option<i64>) =
                sqlx::query_as("SELECT category, version, routing_reason, lat, lng, answers, created_by FROM appeals WHERE id = $1")
                    .bind(summary.id)
                    .fetch_one(p)
                    .await?;
            // Appeals stored before the reason was kept have none.
            let routing_reason = match reason {
                Some(r) => Some(serde_json::from_str(&r).map_err(|_| corrupt("routing reason", &r))?),
                None => None,
            };
            let answers = match answers {
                Some(a) => serde_json::from_str(&a).map_err(|_| corrupt("answers", &a))?,
                None => Vec::new(),
            };
            let files: Vec<FileRow> = sqlx::query_as(
                "SELECT id, appeal_id, file_name, content_type, size, sha256 FROM attachments \
                 WHERE appeal_id = $1 ORDER BY id",
            )
            .bind(summary.id)
            .fetch_all(p)
            .await?;
                        let tags: Vec<(String,)> =
                sqlx::query_as("SELECT tag FROM appeal_tags WHERE appeal_id = $1 ORDER BY tag")
                    .bind(summary.id)
                    .fetch_all(p)
                    .await?;
            let reveals: Vec<(DateTime<Utc>, String, String)> = sqlx::query_as(
                "SELECT r.at, s.display_name, r.reason FROM reveals r JOIN staff s ON s.id = r.staff_id \
                 WHERE r.appeal_id = $1 ORDER BY r.at, r.id",
            )
            .bind(summary.id)
            .fetch_all(p)
            .await?;
                        Ok(AppealDetail {
                created_by,
                reveals: reveals
                    .into_iter()
                    .map(|(at, staff, reason)| crate::Reveal { at, staff, reason })
                    .collect(),
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
                    accused,
                },
                history,
                version,
                routing_reason,
                location: lat.zip(lng),
                answers,
                attachments: files.into_iter().map(AttachedFile::from).collect(),
                summary,
            })
        })
    }

    async fn published_requests(&self, query: &RequestQuery) -> Result<Vec<PublishedRequest>> {
        with_db!(self, p => {
            let (sql, args) = published_sql(query, numbered_pool(p));
            let rows: Vec<PublishedRow> = bind_args!(sqlx::query_as(&sql), args.into_iter())
                .fetch_all(p)
                .await?;
            rows.into_iter().map(PublishedRequest::try_from).collect()
        })
    }

    async fn lift_accusation(
        &self,
        appeal_id: i64,
        unit: i64,
        actor: i64,
        reason: &str,
    ) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let gone = sqlx::query("DELETE FROM appeal_accused WHERE appeal_id = $1 AND unit_id = $2")
                .bind(appeal_id)
                .bind(unit)
                .execute(&mut *tx)
                .await?;
            if gone.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, at, Some(actor), "appeal.recusal_lifted", Some(appeal_id), json!({ "unit_id": unit, "reason": reason }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn record_reveal(&self, appeal_id: i64, actor: i64, reason: &str) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
                        sqlx::query("INSERT INTO reveals (appeal_id, staff_id, at, reason) VALUES ($1, $2, $3, $4)")
                .bind(appeal_id)
                .bind(actor)
                .bind(at)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, chain, at, Some(actor), "appeal.reveal", Some(appeal_id), json!({ "reason": reason }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn add_label(&self, appeal_id: i64, label: &str, actor: i64) -> Result<bool> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let added = sqlx::query("INSERT INTO appeal_tags (appeal_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(appeal_id)
                .bind(label)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if added {
                append_audit!(tx, chain, at, Some(actor), "appeal.label", Some(appeal_id), json!({ "label": label }));
            }
            commit_chain!(tx, chain);
            Ok(added)
        })
    }

    async fn record_export(&self, actor: i64, what: serde_json::Value) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            append_audit!(tx, chain, at, Some(actor), "appeal.export", None, what);
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn known_file_hashes(&self, hashes: &[String]) -> Result<Vec<String>> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::Value::from(hashes.to_vec()).to_string();
        with_db!(self, p => {
            let sql = format!(
                "SELECT DISTINCT sha256 FROM attachments WHERE sha256 {}",
                in_json_list_at(numbered_pool(p), "$1")
            );
            let rows: Vec<(String,)> = sqlx::query_as(&sql).bind(&list).fetch_all(p).await?;
            Ok(rows.into_iter().map(|(h,)| h).collect())
        })
    }

    async fn attached_file(&self, id: i64) -> Result<AttachedFile> {
        with_db!(self, p => {
            let row: FileRow = sqlx::query_as(
                "SELECT id, appeal_id, file_name, content_type, size, sha256 FROM attachments WHERE id = $1",
            )
            .bind(id)
            .fetch_one(p)
            .await?;
            Ok(AttachedFile::from(row))
        })
    }

    async fn public_view(&self, code: &TrackingCode) -> Result<PublicView> {
        with_db!(self, p => {
                        let (id, no, kind, category, region, status, received_at, version): (i64, String, String, String, String, String, DateTime<Utc>, i64) =
                sqlx::query_as(
                    "SELECT id, no, kind, category, region_code, status, received_at, version FROM appeals WHERE tracking_code = $1",
                )
                .bind(code.as_str())
                .fetch_one(p)
                .await?;
            let rows: Vec<EventRow> = sqlx::query_as(EVENT_QUERY).bind(id).fetch_all(p).await?;
            let (events, history, routed_unit) = history(&rows)?;
            Ok(PublicView {
                                no: AppealNo::parse(&no).map_err(|_| corrupt("appeal number", &no))?,
                version,
                status: State::from_code(&status).ok_or_else(|| corrupt("status", &status))?,
                facts: CaseFacts {
                    id,
                    kind: AppealKind::from_code(&kind).ok_or_else(|| corrupt("kind", &kind))?,
                    category: category.clone(),
                    region: RegionCode::parse(&region).map_err(|_| corrupt("region", &region))?,
                    received_at,
                    routed_unit,
                    routed_co: Vec::new(),
                    // The public view decides nothing for anyone.
                    accused: Vec::new(),
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

#[derive(FromRow)]
struct FileRow {
    id: i64,
    appeal_id: i64,
    file_name: String,
    content_type: String,
    size: i64,
    sha256: String,
}

impl From<FileRow> for AttachedFile {
    fn from(r: FileRow) -> AttachedFile {
        AttachedFile {
            id: r.id,
            appeal_id: r.appeal_id,
            file: minsheng_core::appeal::Attachment {
                file_name: r.file_name,
                content_type: r.content_type,
                size: u64::try_from(r.size).unwrap_or_default(),
                sha256: r.sha256,
            },
        }
    }
}

#[derive(FromRow)]
struct PublishedRow {
    no: String,
    category: String,
    kind: String,
    track: String,
    status: String,
    body: String,
    address: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    handler_unit_id: Option<i64>,
    received_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    media_id: Option<i64>,
}

impl TryFrom<PublishedRow> for PublishedRequest {
    type Error = StoreError;

    fn try_from(r: PublishedRow) -> Result<PublishedRequest> {
        Ok(PublishedRequest {
            no: AppealNo::parse(&r.no).map_err(|_| corrupt("appeal number", &r.no))?,
            kind: AppealKind::from_code(&r.kind).ok_or_else(|| corrupt("kind", &r.kind))?,
            track: Track::from_code(&r.track).ok_or_else(|| corrupt("track", &r.track))?,
            status: State::from_code(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            category: r.category,
            text: r.body,
            address: r.address,
            location: r.lat.zip(r.lng),
            handler_unit_id: r.handler_unit_id,
            updated_at: r.updated_at.unwrap_or(r.received_at),
            received_at: r.received_at,
            due_at: r.due_at,
            media_id: r.media_id,
        })
    }
}

/// The statement of [`Appeals::published_requests`] and its arguments; lists are bound
/// as JSON arrays, read the way the engine reads them (`numbered`: PostgreSQL).
fn published_sql(query: &RequestQuery, numbered: bool) -> (String, Vec<Arg>) {
    let mut w = Where::default();
    let list = |w: &mut Where, column: &str, items: Vec<String>| {
        let p = w.arg(Arg::Text(serde_json::Value::from(items).to_string()));
        w.clauses
            .push(format!("{column} {}", in_json_list_at(numbered, &p)));
    };
    if !query.numbers.is_empty() {
        list(
            &mut w,
            "a.no",
            query
                .numbers
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect(),
        );
    }
    if let Some(t) = query.received_from {
        let p = w.arg(Arg::Time(t));
        w.clauses.push(format!("a.received_at >= {p}"));
    }
    if let Some(t) = query.received_until {
        let p = w.arg(Arg::Time(t));
        w.clauses.push(format!("a.received_at <= {p}"));
    }
    if !query.states.is_empty() {
        list(
            &mut w,
            "a.status",
            query.states.iter().map(|s| s.code().to_owned()).collect(),
        );
    }
    // An appeal that accuses a unit is never published, whatever its kind.
    w.clauses
        .push("NOT EXISTS (SELECT 1 FROM appeal_accused x WHERE x.appeal_id = a.id)".into());
    // The publication rule: an empty list publishes nothing.
    list(
        &mut w,
        "a.kind",
        query.kinds.iter().map(|k| k.code().to_owned()).collect(),
    );
    list(&mut w, "a.category", query.categories.clone());
    if let Some(t) = query.track {
        let p = w.arg(Arg::Text(t.code().to_owned()));
        w.clauses.push(format!("a.track = {p}"));
    }
    let limit = w.arg(Arg::Int(query.limit.clamp(1, 10_000)));
    let sql = format!(
        "SELECT a.no, a.category, a.kind, a.track, a.status, a.body, a.address, a.lat, a.lng, \
         a.handler_unit_id, a.received_at, \
         (SELECT MAX(e.at) FROM appeal_events e WHERE e.appeal_id = a.id) AS updated_at, a.due_at, \
         (SELECT MIN(f.id) FROM attachments f WHERE f.appeal_id = a.id AND f.content_type LIKE 'image/%') AS media_id \
         FROM appeals a{} ORDER BY a.received_at DESC, a.id DESC LIMIT {limit}",
        w.sql()
    );
    (sql, w.args)
}
