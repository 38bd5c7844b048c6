//! Joint meetings: created, given agenda items, minutes and action items, and action
//! items closed; each change one transaction with its audit record. Texts go into the
//! audit record as hashes (the rows hold them; the chain proves they were not edited).

use chrono::NaiveDate;
use minsheng_core::meeting::{ActionState, NewAction, NewMeeting};

use super::*;
use crate::{ActionItem, AgendaItem, Meeting, MeetingDetail, Meetings, Page};

const MEETING_COLUMNS: &str = "g.id, g.title, g.held_on, g.convener_id, g.attendance, \
    g.minutes, g.created_at, \
    (SELECT COUNT(*) FROM meeting_actions x WHERE x.meeting_id = g.id AND x.state = 'open') AS open_actions";

const ACTION_COLUMNS: &str = "x.id, x.meeting_id, g.title, x.decision, x.owner_unit_id, x.due_at, \
    x.state, x.result, x.closed_at";

#[derive(FromRow)]
struct MeetingRow {
    id: i64,
    title: String,
    held_on: NaiveDate,
    convener_id: i64,
    attendance: String,
    minutes: String,
    created_at: DateTime<Utc>,
    open_actions: i64,
}

impl MeetingRow {
    /// The meeting, with its members from `members` (meeting id, unit id).
    fn with_members(self, members: &[(i64, i64)]) -> Meeting {
        Meeting {
            id: self.id,
            members: members
                .iter()
                .filter(|(m, _)| *m == self.id)
                .map(|(_, u)| *u)
                .collect(),
            title: self.title,
            held_on: self.held_on,
            convener_id: self.convener_id,
            attendance: self.attendance,
            minutes: self.minutes,
            created_at: self.created_at,
            open_actions: self.open_actions,
        }
    }
}

/// The member units of the meetings `ids` (our own integers, written into the
/// statement), as (meeting id, unit id).
macro_rules! members_of {
    ($p:ident, $ids:expr) => {{
        let ids: Vec<String> = $ids.iter().map(|i: &i64| i.to_string()).collect();
        if ids.is_empty() {
            Vec::new()
        } else {
            let sql = format!(
                "SELECT meeting_id, unit_id FROM meeting_members WHERE meeting_id IN ({}) ORDER BY unit_id",
                ids.join(", ")
            );
            let rows: Vec<(i64, i64)> = sqlx::query_as(&sql).fetch_all($p).await?;
            rows
        }
    }};
}

#[derive(FromRow)]
struct ActionRow {
    id: i64,
    meeting_id: i64,
    title: String,
    decision: String,
    owner_unit_id: i64,
    due_at: DateTime<Utc>,
    state: String,
    result: Option<String>,
    closed_at: Option<DateTime<Utc>>,
}

impl TryFrom<ActionRow> for ActionItem {
    type Error = StoreError;
    fn try_from(r: ActionRow) -> Result<ActionItem> {
        Ok(ActionItem {
            id: r.id,
            meeting_id: r.meeting_id,
            meeting_title: r.title,
            decision: r.decision,
            owner_unit_id: r.owner_unit_id,
            due_at: r.due_at,
            state: ActionState::from_code(&r.state)
                .ok_or_else(|| corrupt("action state", &r.state))?,
            result: r.result,
            closed_at: r.closed_at,
        })
    }
}

#[async_trait]
impl Meetings for SqlStore {
    async fn create_meeting(&self, m: &NewMeeting, convener: i64) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO meetings (title, held_on, convener_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(&m.title)
            .bind(m.held_on)
            .bind(convener)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let members: Vec<Vec<Arg>> = m.members.iter().map(|u| vec![Arg::Int(id), Arg::Int(*u)]).collect();
            insert_rows!(tx, "INSERT INTO meeting_members (meeting_id, unit_id)", members);
            append_audit!(tx, chain, at, Some(convener), "meeting.create", None, json!({
                "meeting": id, "title": m.title, "held_on": m.held_on.to_string(), "members": m.members,
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn meetings(
        &self,
        viewer: Option<(i64, i64)>,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Meeting>> {
        let mut w = Where::default();
        if let Some((u, staff)) = viewer {
            let (u, staff) = (w.arg(Arg::Int(u)), w.arg(Arg::Int(staff)));
            w.clauses.push(format!(
                "(g.convener_id = {staff} \
                 OR EXISTS (SELECT 1 FROM meeting_members mm WHERE mm.meeting_id = g.id AND mm.unit_id = {u}) \
                 OR EXISTS (SELECT 1 FROM meeting_actions y WHERE y.meeting_id = g.id AND y.owner_unit_id = {u}))"
            ));
        }
        let per_page = per_page.clamp(1, 200);
        let page = page.clamp(1, 100_000);
        let sql = format!(
            "SELECT {MEETING_COLUMNS} FROM meetings g{} ORDER BY g.held_on DESC, g.id DESC LIMIT {per_page} OFFSET {}",
            w.sql(),
            (page - 1) * per_page
        );
        let count = format!("SELECT COUNT(*) FROM meetings g{}", w.sql());
        with_db!(self, p => {
            let rows: Vec<MeetingRow> = bind_args!(sqlx::query_as(&sql), &w.args)
                .fetch_all(p)
                .await?;
            let (total,): (i64,) = bind_args!(sqlx::query_as(&count), &w.args)
                .fetch_one(p)
                .await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let members = members_of!(p, ids);
            Ok(Page {
                items: rows.into_iter().map(|r| r.with_members(&members)).collect(),
                total,
                page,
                per_page,
            })
        })
    }

    async fn meeting(&self, id: i64) -> Result<MeetingDetail> {
        let sql = format!("SELECT {MEETING_COLUMNS} FROM meetings g WHERE g.id = $1");
        let actions = format!(
            "SELECT {ACTION_COLUMNS} FROM meeting_actions x JOIN meetings g ON g.id = x.meeting_id \
             WHERE x.meeting_id = $1 ORDER BY x.id"
        );
        with_db!(self, p => {
            let row: MeetingRow = sqlx::query_as(&sql).bind(id).fetch_one(p).await?;
            let agenda: Vec<(i64, Option<i64>, Option<String>, String)> = sqlx::query_as(
                "SELECT m.id, m.alert_id, a.no, m.note FROM meeting_agenda m \
                 LEFT JOIN appeals a ON a.id = m.appeal_id WHERE m.meeting_id = $1 ORDER BY m.id",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let actions: Vec<ActionRow> = sqlx::query_as(&actions).bind(id).fetch_all(p).await?;
            let members = members_of!(p, [id]);
            Ok(MeetingDetail {
                meeting: row.with_members(&members),
                agenda: agenda
                    .into_iter()
                    .map(|(id, alert_id, no, note)| {
                        Ok(AgendaItem {
                            id,
                            alert_id,
                            appeal_no: match no {
                                Some(n) => Some(AppealNo::parse(&n).map_err(|_| corrupt("appeal number", &n))?),
                                None => None,
                            },
                            note,
                        })
                    })
                    .collect::<Result<_>>()?,
                actions: actions.into_iter().map(ActionItem::try_from).collect::<Result<_>>()?,
            })
        })
    }

    async fn add_agenda(
        &self,
        meeting: i64,
        alert: Option<i64>,
        appeal: Option<i64>,
        note: &str,
        actor: i64,
    ) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            sqlx::query("INSERT INTO meeting_agenda (meeting_id, alert_id, appeal_id, note) VALUES ($1, $2, $3, $4)")
                .bind(meeting)
                .bind(alert)
                .bind(appeal)
                .bind(note)
                .execute(&mut *tx)
                .await?;
            if let Some(alert) = alert {
                // Put before a meeting, an active alert stands escalated.
                let moved = sqlx::query(
                    "UPDATE alerts SET state = 'escalated', updated_at = $1 WHERE id = $2 AND state IN ('open', 'acknowledged')",
                )
                .bind(at)
                .bind(alert)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() > 0 {
                    append_audit!(tx, chain, at, Some(actor), "alert.escalate", None, json!({ "alert": alert, "meeting": meeting }));
                }
            }
            append_audit!(tx, chain, at, Some(actor), "meeting.agenda", appeal, json!({
                "meeting": meeting, "alert": alert, "note_sha256": sha256_hex(&[note]),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn record_minutes(
        &self,
        meeting: i64,
        attendance: &str,
        minutes: &str,
        actor: i64,
    ) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let done = sqlx::query("UPDATE meetings SET attendance = $1, minutes = $2, updated_at = $3 WHERE id = $4")
                .bind(attendance)
                .bind(minutes)
                .bind(at)
                .bind(meeting)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, at, Some(actor), "meeting.minutes", None, json!({
                "meeting": meeting,
                "attendance_sha256": sha256_hex(&[attendance]),
                "minutes_sha256": sha256_hex(&[minutes]),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn add_action(&self, meeting: i64, a: &NewAction, actor: i64) -> Result<i64> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO meeting_actions (meeting_id, decision, owner_unit_id, due_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(meeting)
            .bind(&a.decision)
            .bind(a.owner)
            .bind(a.due)
            .fetch_one(&mut *tx)
            .await?;
            append_audit!(tx, chain, at, Some(actor), "meeting.action", None, json!({
                "meeting": meeting, "action": id, "owner_unit_id": a.owner,
                "due_at": a.due.to_rfc3339(), "decision_sha256": sha256_hex(&[a.decision.as_str()]),
            }));
            commit_chain!(tx, chain);
            Ok(id)
        })
    }

    async fn close_action(&self, action: i64, result: &str, actor: i64) -> Result<()> {
        let at = crate::now();
        with_db!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut chain = open_chain!(tx);
            let done = sqlx::query(
                "UPDATE meeting_actions SET state = 'done', result = $1, closed_at = $2, closed_by = $3 \
                 WHERE id = $4 AND state = 'open'",
            )
            .bind(result)
            .bind(at)
            .bind(actor)
            .bind(action)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            append_audit!(tx, chain, at, Some(actor), "meeting.action_done", None, json!({
                "action": action, "result_sha256": sha256_hex(&[result]),
            }));
            commit_chain!(tx, chain);
            Ok(())
        })
    }

    async fn action(&self, id: i64) -> Result<ActionItem> {
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM meeting_actions x JOIN meetings g ON g.id = x.meeting_id WHERE x.id = $1"
        );
        with_db!(self, p => {
            let row: ActionRow = sqlx::query_as(&sql).bind(id).fetch_one(p).await?;
            ActionItem::try_from(row)
        })
    }

    async fn overdue_actions(
        &self,
        now: DateTime<Utc>,
        unit: Option<i64>,
    ) -> Result<Vec<ActionItem>> {
        let own = if unit.is_some() {
            " AND x.owner_unit_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM meeting_actions x JOIN meetings g ON g.id = x.meeting_id \
             WHERE x.state = 'open' AND x.due_at < $1{own} ORDER BY x.due_at, x.id LIMIT 500"
        );
        with_db!(self, p => {
            let mut q = sqlx::query_as(&sql).bind(now);
            if let Some(u) = unit {
                q = q.bind(u);
            }
            let rows: Vec<ActionRow> = q.fetch_all(p).await?;
            rows.into_iter().map(ActionItem::try_from).collect()
        })
    }
}
