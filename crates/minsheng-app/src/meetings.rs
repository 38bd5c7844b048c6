//! Joint meetings (联席会议): the duty roles call a meeting of the units concerned, put
//! alerts and cases before it, record who came and the minutes, and turn decisions
//! into action items with an owner unit and a deadline on the workflow calendar; the
//! owner unit closes each with a result. Overdue action items go on the supervision
//! list. Minutes export as a printable page and as a Word document (.docx).

use std::io::{Cursor, Write};

use minsheng_core::AppealNo;
use minsheng_core::intake::{FieldError, FieldErrors, clean_text};
use minsheng_core::meeting::{
    ActionForm, MAX_TEXT, MeetingForm, check_result, overdue as is_overdue,
};
use minsheng_store::{ActionItem, Meeting, MeetingDetail, Page, StoreError};

use minsheng_core::Lang;
use minsheng_core::i18n::pick;
use minsheng_core::staff::Role;

use crate::sessions::SignedIn;
use crate::{App, Error, Result};

/// The longest agenda note.
pub const MAX_NOTE: usize = 500;

/// The county's desk (dispatchers, supervisors, administrators) sees and runs every
/// meeting and may close any action item.
pub fn county_desk(me: &SignedIn) -> bool {
    me.staff
        .roles
        .iter()
        .any(|r| matches!(r, Role::Dispatcher | Role::Supervisor | Role::Admin))
}

/// Who may call a meeting: the county's desk and leaders.
pub fn may_call(me: &SignedIn) -> bool {
    county_desk(me) || me.staff.has(Role::Leader)
}

/// Who may set a meeting's agenda, minutes and action items: the county's desk, who
/// called it, and the leaders and unit heads of its member units.
pub fn may_run(me: &SignedIn, meeting: &Meeting) -> bool {
    county_desk(me)
        || meeting.convener_id == me.staff.id
        || (meeting.members.contains(&me.staff.unit_id)
            && (me.staff.has(Role::Leader) || me.staff.has(Role::UnitHead)))
}

impl App {
    /// Whose meetings a person sees: the county's desk every one (`None`); anyone
    /// else those of their unit (a member, or owner of an action item).
    fn meeting_unit(me: &SignedIn) -> Option<i64> {
        (!county_desk(me)).then_some(me.staff.unit_id)
    }

    /// Whether `me` sees a meeting: the county's desk, who called it, and its member
    /// and owner units.
    fn sees_meeting(me: &SignedIn, d: &MeetingDetail) -> bool {
        match Self::meeting_unit(me) {
            None => true,
            Some(u) => {
                d.meeting.convener_id == me.staff.id
                    || d.meeting.members.contains(&u)
                    || d.actions.iter().any(|a| a.owner_unit_id == u)
            }
        }
    }

    /// Calls a meeting (the county's desk and leaders); returns its id.
    pub async fn create_meeting(&self, me: &SignedIn, form: &MeetingForm) -> Result<i64> {
        if !may_call(me) {
            return Err(Error::Forbidden);
        }
        let units: Vec<i64> = self.directory().await?.units.iter().map(|u| u.id).collect();
        let meeting = form.validate(&units).map_err(Error::Invalid)?;
        Ok(self.store.create_meeting(&meeting, me.staff.id).await?)
    }

    /// The meetings `me` may see, the latest first.
    pub async fn meetings(&self, me: &SignedIn, page: i64, per_page: i64) -> Result<Page<Meeting>> {
        Ok(self
            .store
            .meetings(
                Self::meeting_unit(me).map(|u| (u, me.staff.id)),
                page,
                per_page,
            )
            .await?)
    }

    /// One meeting, if `me` may see it (else not found).
    pub async fn meeting(&self, me: &SignedIn, id: i64) -> Result<MeetingDetail> {
        let detail = self.store.meeting(id).await?;
        if Self::sees_meeting(me, &detail) {
            Ok(detail)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Puts an alert or a case before a meeting, with a note; both must be within
    /// `me`'s sight. An active alert then stands escalated.
    pub async fn add_agenda(
        &self,
        me: &SignedIn,
        meeting: i64,
        alert: Option<i64>,
        appeal: Option<&AppealNo>,
        note: &str,
    ) -> Result<()> {
        self.run_meeting(me, meeting).await?;
        let note = clean_text(note);
        let mut errors = FieldErrors::default();
        if note.chars().count() > MAX_NOTE {
            errors.0.push(("note", FieldError::TooLong(MAX_NOTE)));
        }
        if alert.is_none() && appeal.is_none() && note.is_empty() {
            errors.0.push(("note", FieldError::Required));
        }
        if let Some(id) = alert
            && self.alert(me, id).await.is_err()
        {
            errors.0.push(("alert", FieldError::UnknownChoice));
        }
        let appeal_id = match appeal {
            Some(no) => match self.store.appeal(no, &me.scope).await {
                Ok(a) => Some(a.summary.id),
                Err(StoreError::NotFound) => {
                    errors.0.push(("appeal", FieldError::UnknownChoice));
                    None
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        if !errors.0.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(self
            .store
            .add_agenda(meeting, alert, appeal_id, &note, me.staff.id)
            .await?)
    }

    /// Records who came and the minutes.
    pub async fn record_minutes(
        &self,
        me: &SignedIn,
        meeting: i64,
        attendance: &str,
        minutes: &str,
    ) -> Result<()> {
        self.run_meeting(me, meeting).await?;
        let (attendance, minutes) = (clean_text(attendance), clean_text(minutes));
        let mut errors = FieldErrors::default();
        for (field, text) in [("attendance", &attendance), ("minutes", &minutes)] {
            if text.is_empty() {
                errors.0.push((field, FieldError::Required));
            } else if text.chars().count() > MAX_TEXT {
                errors.0.push((field, FieldError::TooLong(MAX_TEXT)));
            }
        }
        if !errors.0.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(self
            .store
            .record_minutes(meeting, &attendance, &minutes, me.staff.id)
            .await?)
    }

    /// Records a decision's action item: an owner unit and a number of working days
    /// from the meeting; returns its id.
    pub async fn add_action(&self, me: &SignedIn, meeting: i64, form: &ActionForm) -> Result<i64> {
        let detail = self.run_meeting(me, meeting).await?;
        let units: Vec<i64> = self.directory().await?.units.iter().map(|u| u.id).collect();
        let action = form
            .validate(detail.meeting.held_on, &units, &self.calendar())
            .map_err(Error::Invalid)?;
        Ok(self.store.add_action(meeting, &action, me.staff.id).await?)
    }

    /// Closes an open action item of `meeting` with what was done: the county's desk,
    /// or staff of its owner unit. One already closed is refused with the reason.
    pub async fn close_action(
        &self,
        me: &SignedIn,
        meeting: i64,
        action: i64,
        result: &str,
    ) -> Result<()> {
        let item = self.store.action(action).await?;
        if item.meeting_id != meeting
            || (!county_desk(me) && item.owner_unit_id != me.staff.unit_id)
        {
            return Err(Error::NotFound);
        }
        if item.state != minsheng_core::meeting::ActionState::Open {
            return Err(Error::Invalid(FieldErrors(vec![(
                "result",
                FieldError::AlreadyDone,
            )])));
        }
        let result = check_result(result).map_err(Error::Invalid)?;
        Ok(self
            .store
            .close_action(action, &result, me.staff.id)
            .await?)
    }

    /// Action items past their deadline and still open, for the supervision list:
    /// all of them for the duty roles, a unit's own for anyone else.
    pub async fn overdue_actions(&self, me: &SignedIn) -> Result<Vec<ActionItem>> {
        let now = minsheng_store::now();
        let items = self
            .store
            .overdue_actions(now, Self::meeting_unit(me))
            .await?;
        Ok(items
            .into_iter()
            .filter(|a| is_overdue(a.state, a.due_at, now))
            .collect())
    }

    /// A meeting `me` may work on (see [`may_run`]); one they may not even see is
    /// not found.
    async fn run_meeting(&self, me: &SignedIn, meeting: i64) -> Result<MeetingDetail> {
        let detail = self.meeting(me, meeting).await?;
        if !may_run(me, &detail.meeting) {
            return Err(Error::Forbidden);
        }
        Ok(detail)
    }
}

/// The minutes of a meeting as one text document in `lang`: its lines, each a
/// paragraph (`true`: a heading). `unit` names a unit by id; `agenda` is what the
/// reader may see of the agenda.
pub fn minutes_lines(
    detail: &MeetingDetail,
    unit: &dyn Fn(i64) -> String,
    agenda: &[String],
    lang: Lang,
) -> Vec<(bool, String)> {
    let m = &detail.meeting;
    let (colon, sep) = match lang {
        Lang::Zh => ("：", "、"),
        Lang::En => (": ", ", "),
    };
    let field = |zh: &'static str, en: &'static str, value: String| {
        (false, format!("{}{colon}{value}", pick(lang, zh, en)))
    };
    let members = m
        .members
        .iter()
        .map(|u| unit(*u))
        .collect::<Vec<_>>()
        .join(sep);
    let mut lines = vec![
        (true, m.title.clone()),
        field("会议日期", "Date", m.held_on.to_string()),
        field("成员单位", "Member units", members),
        field("出席人员", "Present", m.attendance.clone()),
        (true, pick(lang, "议题", "Agenda").to_owned()),
    ];
    lines.extend(
        agenda
            .iter()
            .filter(|a| !a.is_empty())
            .enumerate()
            .map(|(i, a)| (false, format!("{}. {a}", i + 1))),
    );
    lines.push((true, pick(lang, "会议纪要", "Minutes").to_owned()));
    lines.extend(m.minutes.lines().map(|l| (false, l.to_owned())));
    lines.push((
        true,
        pick(lang, "议定事项", "Decisions and action items").to_owned(),
    ));
    for (i, a) in detail.actions.iter().enumerate() {
        let due = minsheng_core::clock::local_day(a.due_at);
        let owner = unit(a.owner_unit_id);
        let state = a.state.label(lang);
        let text = match lang {
            Lang::Zh => format!(
                "{}. {}（责任单位：{owner}；完成时限：{due}；{state}）",
                i + 1,
                a.decision
            ),
            Lang::En => format!(
                "{}. {} (owner: {owner}; due: {due}; {state})",
                i + 1,
                a.decision
            ),
        };
        lines.push((false, text));
        if let Some(r) = &a.result {
            lines.push((
                false,
                format!("   {}{colon}{r}", pick(lang, "办理结果", "Result")),
            ));
        }
    }
    lines
}

/// A Word document (Office Open XML, .docx) of `lines`: a bold line is a heading.
pub fn docx(lines: &[(bool, String)]) -> Result<Vec<u8>> {
    const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let mut body = String::new();
    for (bold, text) in lines {
        let size = if *bold { 32 } else { 24 };
        body.push_str("<w:p><w:r><w:rPr><w:rFonts w:ascii=\"SimSun\" w:eastAsia=\"SimSun\" w:hAnsi=\"SimSun\"/>");
        if *bold {
            body.push_str("<w:b/>");
        }
        body.push_str(&format!(
            "<w:sz w:val=\"{size}\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            quick_xml::escape::escape(text.as_str())
        ));
    }
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>"#
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let io = |e: std::io::Error| Error::Task(e.to_string());
    let z = |e: zip::result::ZipError| Error::Task(e.to_string());
    for (name, part) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/document.xml", document.as_str()),
    ] {
        zip.start_file(name, options).map_err(z)?;
        zip.write_all(part.as_bytes()).map_err(io)?;
    }
    Ok(zip.finish().map_err(z)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_docx_holds_every_line_escaped() {
        let lines = vec![
            (true, "供暖问题联席会议".to_owned()),
            (false, "议定：<热力公司> & 住建局三日内排查".to_owned()),
        ];
        let bytes = docx(&lines).expect("docx");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut xml = String::new();
        archive
            .by_name("word/document.xml")
            .expect("the document part")
            .read_to_string(&mut xml)
            .expect("utf-8");
        assert!(xml.contains("供暖问题联席会议"));
        assert!(xml.contains("&lt;热力公司&gt; &amp; 住建局"));
        assert!(archive.by_name("[Content_Types].xml").is_ok());
    }
}
