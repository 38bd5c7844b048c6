//! Lists out to Excel: any inbox list with its filters, personal data masked as the
//! list shows it, each export recorded in the audit chain with what it held.

use std::collections::HashMap;

use minsheng_core::Lang;
use minsheng_core::clock::china;
use minsheng_core::i18n::{pick, pick_in};
use minsheng_store::{InboxFilter, ListScope};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::json;

use crate::sessions::SignedIn;
use crate::{App, Error, Result};

/// The most rows one export holds; a longer list is cut there, and the sheet says so.
pub const MAX_EXPORT_ROWS: i64 = 50_000;

/// Rows read per page while exporting.
const PAGE: i64 = 200;

/// An exported list.
#[derive(Debug, Clone)]
pub struct Export {
    /// The workbook.
    pub bytes: Vec<u8>,
    /// Rows written.
    pub rows: i64,
    /// Rows the list had (more than `rows` when it was cut).
    pub total: i64,
}

impl App {
    /// The list `scope` and `filter` make, as `me` may see it, as an Excel workbook;
    /// names and phones masked as in the list; audited with the filters and the count.
    pub async fn export_appeals(
        &self,
        me: &SignedIn,
        scope: &ListScope,
        filter: &InboxFilter,
        lang: Lang,
    ) -> Result<Export> {
        let dir = self.directory().await?;
        let regions: HashMap<&str, &str> = dir
            .regions
            .iter()
            .map(|r| (r.region.code.as_str(), r.region.name.as_str()))
            .collect();
        let categories: HashMap<&str, &str> = dir
            .categories
            .iter()
            .map(|c| (c.code.as_str(), pick_in(lang, &c.name, &c.name_en)))
            .collect();
        let units: HashMap<i64, &str> = dir.units.iter().map(|u| (u.id, u.name.as_str())).collect();
        let mut rows = Vec::new();
        let mut page = 1;
        let total = loop {
            let found = self.store.list_appeals(scope, filter, page, PAGE).await?;
            let n = found.items.len() as i64;
            rows.extend(found.items);
            if n < PAGE || rows.len() as i64 >= MAX_EXPORT_ROWS {
                break found.total;
            }
            page += 1;
        };
        rows.truncate(MAX_EXPORT_ROWS as usize);
        let place = |code: &minsheng_core::RegionCode| {
            let village = regions.get(code.as_str()).copied().unwrap_or(code.as_str());
            match code.parent().and_then(|t| regions.get(t.as_str()).copied()) {
                Some(town) => format!("{town} {village}"),
                None => village.to_owned(),
            }
        };
        let local = |t: chrono::DateTime<chrono::Utc>| {
            t.with_timezone(&china())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        let header = [
            pick(lang, "受理编号", "Number"),
            pick(lang, "标题", "Title"),
            pick(lang, "类别", "Category"),
            pick(lang, "渠道", "Channel"),
            pick(lang, "状态", "Status"),
            pick(lang, "地点", "Place"),
            pick(lang, "承办单位", "Unit"),
            pick(lang, "受理时间", "Received"),
            pick(lang, "办理期限", "Due"),
            pick(lang, "积案", "Backlog"),
            pick(lang, "难案", "Hard"),
            pick(lang, "诉求人", "Appellant"),
            pick(lang, "电话", "Phone"),
            pick(lang, "人数", "People"),
        ];
        let yes = pick(lang, "是", "yes");
        let book = (|| -> std::result::Result<Vec<u8>, XlsxError> {
            let mut book = Workbook::new();
            let head = Format::new().set_bold().set_background_color("#DDE7F3");
            let sheet = book.add_worksheet();
            sheet.set_name(pick(lang, "诉求列表", "Appeals"))?;
            for (c, h) in header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, *h, &head)?;
            }
            for (i, a) in rows.iter().enumerate() {
                let r = 1 + i as u32;
                sheet.write_string(r, 0, a.no.as_str())?;
                sheet.write_string(r, 1, &a.title)?;
                sheet.write_string(
                    r,
                    2,
                    categories
                        .get(a.category.as_str())
                        .copied()
                        .unwrap_or(a.category.as_str()),
                )?;
                sheet.write_string(r, 3, a.channel.label(lang))?;
                sheet.write_string(r, 4, a.status.label(lang))?;
                sheet.write_string(r, 5, place(&a.region_code))?;
                sheet.write_string(
                    r,
                    6,
                    a.handler_unit_id
                        .and_then(|u| units.get(&u).copied())
                        .unwrap_or(""),
                )?;
                sheet.write_string(r, 7, local(a.received_at))?;
                sheet.write_string(r, 8, a.due_at.map(local).unwrap_or_default())?;
                sheet.write_string(r, 9, if a.backlog { yes } else { "" })?;
                sheet.write_string(r, 10, if a.hard { yes } else { "" })?;
                sheet.write_string(r, 11, a.name_mask.as_deref().unwrap_or(""))?;
                sheet.write_string(r, 12, a.phone_mask.as_deref().unwrap_or(""))?;
                sheet.write_number(r, 13, a.headcount as f64)?;
            }
            if total > rows.len() as i64 {
                let r = 2 + rows.len() as u32;
                sheet.write_string(
                    r,
                    0,
                    match lang {
                        Lang::Zh => format!(
                            "共 {total} 件，仅导出前 {} 件；请缩小筛选范围。",
                            rows.len()
                        ),
                        Lang::En => format!(
                            "{total} in all; only the first {} were exported: narrow the filters.",
                            rows.len()
                        ),
                    },
                )?;
            }
            sheet.set_freeze_panes(1, 1)?;
            sheet.set_column_width(0, 15)?;
            sheet.set_column_width(1, 36)?;
            sheet.set_column_width(5, 22)?;
            sheet.set_column_width(6, 24)?;
            sheet.set_column_width(7, 17)?;
            sheet.set_column_width(8, 17)?;
            sheet.autofilter(0, 0, rows.len() as u32, header.len() as u16 - 1)?;
            book.save_to_buffer()
        })()
        .map_err(|e| Error::Output(e.to_string()))?;
        let what = json!({
            "list": match scope {
                ListScope::Unit(u) => json!({ "unit": u }),
                ListScope::Visible(_) => json!("visible"),
            },
            "filters": describe(filter),
            "rows": rows.len(),
            "total": total,
        });
        self.store.record_export(me.staff.id, what).await?;
        Ok(Export {
            bytes: book,
            rows: rows.len() as i64,
            total,
        })
    }
}

/// The filters an export used, for its audit record (never personal data: a list is
/// never filtered by name or phone).
fn describe(f: &InboxFilter) -> serde_json::Value {
    json!({
        "status": f.status.map(|s| s.code()),
        "overdue": f.due_before.is_some(),
        "supervised": f.supervised,
        "flagged": f.flagged,
        "category": f.category,
        "township": f.township.as_ref().map(|t| t.as_str()),
        "channel": f.channel.map(|c| c.code()),
        "received_from": f.received_from,
        "received_before": f.received_before,
        "number": f.number,
        "tag": f.tag,
        "alert": f.alert,
        "cluster": f.cluster,
        "unit": f.unit,
        "words": f.text.as_ref().map(|q| q.fts5()),
    })
}
