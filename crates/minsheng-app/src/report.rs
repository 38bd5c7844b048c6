//! Monthly and annual reports: the dashboard's figures with headline sentences in the
//! style of a county's work summary, as an Excel workbook (the HTML page is the web
//! layer's). The CLI and the web make the same report from the same code.

use minsheng_core::Lang;
use minsheng_core::i18n::pick;
use minsheng_core::kpi::{Kpi, Measure, Sums, average_reply_days};
use minsheng_core::region::RegionCode;
use minsheng_core::staff::Scope;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::figures::{Dashboard, Period, reads_figures};
use crate::sessions::SignedIn;
use crate::{App, Error, Result};

/// A report: its title, the sentences it leads with, and its figures.
#[derive(Debug, Clone)]
pub struct Report {
    /// e.g. 澄河县2026年10月群众诉求办理情况报告.
    pub title: String,
    /// The area's name.
    pub area: String,
    /// The period in words.
    pub period_words: String,
    /// Headline sentences, most important first.
    pub sentences: Vec<String>,
    /// The figures behind them.
    pub figures: Dashboard,
}

fn percent(lang: Lang, d: &Dashboard, k: Kpi) -> String {
    let r = d.rate(k);
    match r.percent() {
        Some(_) => r.show(),
        None => pick(lang, "（无数据）", "(none)").to_owned(),
    }
}

/// The period in words: 2026年10月, 2026年, 2026年1月至6月.
pub fn period_words(p: &Period, lang: Lang) -> String {
    use chrono::Datelike;
    let last = p.last_month();
    match lang {
        Lang::Zh if p.is_year() => format!("{}年", p.from.year()),
        Lang::Zh if p.month_count() == 1 => format!("{}年{}月", p.from.year(), p.from.month()),
        Lang::Zh if p.from.year() == last.year() => {
            format!(
                "{}年{}月至{}月",
                p.from.year(),
                p.from.month(),
                last.month()
            )
        }
        Lang::Zh => format!(
            "{}年{}月至{}年{}月",
            p.from.year(),
            p.from.month(),
            last.year(),
            last.month()
        ),
        Lang::En if p.is_year() => p.from.year().to_string(),
        Lang::En if p.month_count() == 1 => p.from.format("%B %Y").to_string(),
        Lang::En => format!("{} to {}", p.from.format("%B %Y"), last.format("%B %Y")),
    }
}

/// The sentences a report leads with, as a county's work summary words them.
pub fn sentences(d: &Dashboard, lang: Lang) -> Vec<String> {
    let t = &d.totals;
    let this = match (lang, d.period.is_year(), d.period.month_count() == 1) {
        (Lang::Zh, true, _) => "本年度",
        (Lang::Zh, _, true) => "本月",
        (Lang::Zh, _, _) => "本期",
        (Lang::En, true, _) => "This year",
        (Lang::En, _, true) => "This month",
        (Lang::En, _, _) => "In the period",
    };
    let received = t.get(Measure::Received);
    let mut out = vec![match lang {
        Lang::Zh => format!(
            "{this}受理群众诉求 {received} 件，办结 {} 件，按时办结率 {}，群众满意率 {}，问题解决率 {}，化解积案、难案 {} 件。",
            t.get(Measure::Closed),
            percent(lang, d, Kpi::OnTimeReply),
            percent(lang, d, Kpi::Satisfaction),
            percent(lang, d, Kpi::Resolution),
            t.get(Measure::HardClosed),
        ),
        Lang::En => format!(
            "{this} {received} appeals were received and {} closed; {} of replies were on time, {} of those called back were satisfied, {} said the problem was solved, and {} backlog or hard cases were resolved.",
            t.get(Measure::Closed),
            percent(lang, d, Kpi::OnTimeReply),
            percent(lang, d, Kpi::Satisfaction),
            percent(lang, d, Kpi::Resolution),
            t.get(Measure::HardClosed),
        ),
    }];
    out.push(match lang {
        Lang::Zh => format!(
            "截至目前在办 {} 件，其中超期 {} 件，积案 {} 件，难案 {} 件；响应率 {}，退单率 {}。",
            d.open.open,
            d.open.overdue,
            d.open.backlog,
            d.open.hard,
            percent(lang, d, Kpi::Response),
            percent(lang, d, Kpi::ReturnShare),
        ),
        Lang::En => format!(
            "{} cases are open now, {} of them overdue, {} in the backlog and {} hard; {} of work orders were signed for on time and {} were returned.",
            d.open.open,
            d.open.overdue,
            d.open.backlog,
            d.open.hard,
            percent(lang, d, Kpi::Response),
            percent(lang, d, Kpi::ReturnShare),
        ),
    });
    if let Some(top) = d.categories.first().filter(|_| received > 0) {
        let n = top.sums.get(Measure::Received);
        let share = 100.0 * n as f64 / received as f64;
        let place = d
            .townships
            .first()
            .map(|r| (r.name.clone(), r.sums.get(Measure::Received)));
        out.push(match (lang, place) {
            (Lang::Zh, Some((p, m))) => format!(
                "诉求最多的类别是“{}”，{n} 件，占 {share:.1}%；诉求最多的乡镇（街道）是{p}，{m} 件。",
                top.name
            ),
            (Lang::Zh, None) => format!("诉求最多的类别是“{}”，{n} 件，占 {share:.1}%。", top.name),
            (Lang::En, Some((p, m))) => format!(
                "The largest category was {} with {n} appeals ({share:.1}%); the township with the most was {p} ({m}).",
                top.name
            ),
            (Lang::En, None) => format!(
                "The largest category was {} with {n} appeals ({share:.1}%).",
                top.name
            ),
        });
    }
    let scored: Vec<_> = d.units.iter().filter(|u| u.score.is_some()).collect();
    if let (Some(best), Some(last)) = (scored.first(), scored.last())
        && scored.len() > 1
    {
        let s = |u: &&crate::figures::UnitLine| format!("{:.1}", u.score.unwrap_or_default());
        out.push(match lang {
            Lang::Zh => format!(
                "综合得分最高的承办单位是{}（{} 分），最低的是{}（{} 分）。",
                best.name,
                s(best),
                last.name,
                s(last)
            ),
            Lang::En => format!(
                "The best-scoring unit was {} ({}), the lowest {} ({}).",
                best.name,
                s(best),
                last.name,
                s(last)
            ),
        });
    }
    out
}

impl App {
    /// The report for `period` in the area `me` sees (or one township of it).
    pub async fn report_for(
        &self,
        me: &SignedIn,
        period: Period,
        township: Option<RegionCode>,
        lang: Lang,
    ) -> Result<Report> {
        if !reads_figures(me) {
            return Err(Error::Forbidden);
        }
        self.report(&me.scope, period, township, lang).await
    }

    /// The report for `period` over `scope` (the CLI's is the whole county).
    pub async fn report(
        &self,
        scope: &Scope,
        period: Period,
        township: Option<RegionCode>,
        lang: Lang,
    ) -> Result<Report> {
        // A township outside the scope, or not a township, is not found (`figures`).
        let figures = self.figures(scope, period, township.clone(), lang).await?;
        let dir = self.directory().await?;
        let name_of = |code: &RegionCode| crate::figures::region_name(&dir, code.as_str());
        let area = match (&township, dir.county.as_ref()) {
            (Some(t), _) => name_of(t),
            (None, Some(c)) => name_of(c),
            (None, None) => pick(lang, "全辖区", "whole area").to_owned(),
        };
        let words = period_words(&period, lang);
        let title = match lang {
            Lang::Zh => format!("{area}{words}群众诉求办理情况报告"),
            Lang::En => format!("Appeals handled in {area}, {words}"),
        };
        Ok(Report {
            title,
            area,
            period_words: words,
            sentences: sentences(&figures, lang),
            figures,
        })
    }
}

/// The columns every breakdown sheet has after its name: received, closed, the rates
/// and the average working days to reply.
fn breakdown_header(lang: Lang) -> Vec<String> {
    let mut h = vec![
        Measure::Received.label(lang).to_owned(),
        Measure::Closed.label(lang).to_owned(),
    ];
    h.extend(Kpi::ALL.iter().map(|k| k.label(lang).to_owned()));
    h.push(pick(lang, "平均办理工作日", "avg. working days to reply").to_owned());
    h
}

/// The report as an Excel workbook: a summary sheet with the sentences and headline
/// figures, then units, categories, townships and days.
pub fn to_xlsx(r: &Report, lang: Lang) -> Result<Vec<u8>> {
    build_xlsx(r, lang).map_err(|e| Error::Output(e.to_string()))
}

fn build_xlsx(r: &Report, lang: Lang) -> std::result::Result<Vec<u8>, XlsxError> {
    let d = &r.figures;
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(16);
    let head = Format::new()
        .set_bold()
        .set_background_color("#DDE7F3")
        .set_align(FormatAlign::Center);
    let pct = Format::new().set_num_format("0.0%");
    let wrap = Format::new().set_text_wrap();

    let summary = book.add_worksheet();
    summary.set_name(pick(lang, "概况", "Summary"))?;
    summary.set_column_width(0, 28)?;
    summary.set_column_width(1, 16)?;
    summary.set_column_width(2, 16)?;
    summary.write_string_with_format(0, 0, &r.title, &title)?;
    summary.write_string(
        1,
        0,
        format!(
            "{}：{}　{}：{} — {}",
            pick(lang, "范围", "Area"),
            r.area,
            pick(lang, "期间", "Period"),
            d.period.from,
            d.period.last_day()
        ),
    )?;
    let mut row = 3;
    for s in &r.sentences {
        summary.merge_range(row, 0, row, 6, s, &wrap)?;
        summary.set_row_height(row, 36)?;
        row += 1;
    }
    row += 1;
    for (col, h) in [
        pick(lang, "指标", "Figure"),
        pick(lang, "数值", "Value"),
        pick(lang, "分子 / 分母", "Of / out of"),
    ]
    .iter()
    .enumerate()
    {
        summary.write_string_with_format(row, col as u16, *h, &head)?;
    }
    row += 1;
    let t = &d.totals;
    for m in [Measure::Received, Measure::Closed, Measure::HardClosed] {
        summary.write_string(row, 0, m.label(lang))?;
        summary.write_number(row, 1, t.get(m) as f64)?;
        row += 1;
    }
    for (label, n) in [
        (pick(lang, "当前在办", "Open now"), d.open.open),
        (pick(lang, "当前超期", "Overdue now"), d.open.overdue),
        (pick(lang, "当前积案", "Backlog now"), d.open.backlog),
        (pick(lang, "当前难案", "Hard cases now"), d.open.hard),
    ] {
        summary.write_string(row, 0, label)?;
        summary.write_number(row, 1, n as f64)?;
        row += 1;
    }
    for k in Kpi::ALL {
        let rate = k.of(t);
        summary.write_string(row, 0, k.label(lang))?;
        match rate.percent() {
            Some(p) => summary.write_number_with_format(row, 1, p / 100.0, &pct)?,
            None => summary.write_string(row, 1, "—")?,
        };
        summary.write_string(row, 2, format!("{} / {}", rate.of, rate.out_of))?;
        row += 1;
    }
    summary.write_string(
        row,
        0,
        pick(lang, "平均办理工作日", "Avg. working days to reply"),
    )?;
    match average_reply_days(t) {
        Some(v) => summary.write_number(row, 1, (v * 10.0).round() / 10.0)?,
        None => summary.write_string(row, 1, "—")?,
    };

    // Units, ranked.
    let units = book.add_worksheet();
    units.set_name(pick(lang, "单位排名", "Units"))?;
    units.set_column_width(1, 30)?;
    let mut header = vec![
        pick(lang, "名次", "Rank").to_owned(),
        pick(lang, "承办单位", "Unit").to_owned(),
        pick(lang, "综合得分", "Score").to_owned(),
    ];
    header.extend(breakdown_header(lang));
    header.push(pick(lang, "当前在办", "Open now").to_owned());
    header.push(pick(lang, "当前超期", "Overdue now").to_owned());
    for (c, h) in header.iter().enumerate() {
        units.write_string_with_format(0, c as u16, h, &head)?;
    }
    for (i, u) in d.units.iter().enumerate() {
        let row = 1 + i as u32;
        units.write_number(row, 0, (i + 1) as f64)?;
        units.write_string(row, 1, &u.name)?;
        match u.score {
            Some(s) => units.write_number(row, 2, (s * 10.0).round() / 10.0)?,
            None => units.write_string(row, 2, "—")?,
        };
        write_breakdown(units, row, 2, &u.sums, &pct)?;
        let col = 3 + breakdown_header(lang).len() as u16;
        units.write_number(row, col, u.load.open as f64)?;
        units.write_number(row, col + 1, u.load.overdue as f64)?;
    }
    units.set_freeze_panes(1, 2)?;

    // Cadres, as the people judged their replies (群众口碑).
    let cadres = book.add_worksheet();
    cadres.set_name(pick(lang, "承办人口碑", "Cadres"))?;
    cadres.set_column_width(1, 24)?;
    cadres.set_column_width(2, 24)?;
    let mut header = vec![
        pick(lang, "名次", "Rank").to_owned(),
        pick(lang, "承办人", "Cadre").to_owned(),
        pick(lang, "单位", "Unit").to_owned(),
        pick(lang, "综合得分", "Score").to_owned(),
    ];
    header.extend(breakdown_header(lang));
    for (c, h) in header.iter().enumerate() {
        cadres.write_string_with_format(0, c as u16, h, &head)?;
    }
    for (i, c) in d.cadres.iter().enumerate() {
        let row = 1 + i as u32;
        cadres.write_number(row, 0, (i + 1) as f64)?;
        cadres.write_string(row, 1, &c.name)?;
        cadres.write_string(row, 2, &c.unit)?;
        match c.score {
            Some(s) => cadres.write_number(row, 3, (s * 10.0).round() / 10.0)?,
            None => cadres.write_string(row, 3, "—")?,
        };
        write_breakdown(cadres, row, 3, &c.sums, &pct)?;
    }
    cadres.set_freeze_panes(1, 2)?;

    for (name, rows) in [
        (pick(lang, "类别", "Categories"), &d.categories),
        (pick(lang, "乡镇（街道）", "Townships"), &d.townships),
    ] {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        sheet.set_column_width(0, 24)?;
        sheet.write_string_with_format(0, 0, name, &head)?;
        for (c, h) in breakdown_header(lang).iter().enumerate() {
            sheet.write_string_with_format(0, 1 + c as u16, h, &head)?;
        }
        for (i, r) in rows.iter().enumerate() {
            let row = 1 + i as u32;
            sheet.write_string(row, 0, &r.name)?;
            write_breakdown(sheet, row, 0, &r.sums, &pct)?;
        }
        sheet.set_freeze_panes(1, 1)?;
    }

    let days = book.add_worksheet();
    days.set_name(pick(lang, "每日", "Days"))?;
    days.set_column_width(0, 12)?;
    days.write_string_with_format(0, 0, pick(lang, "日期", "Day"), &head)?;
    days.write_string_with_format(0, 1, Measure::Received.label(lang), &head)?;
    days.write_string_with_format(0, 2, Measure::Closed.label(lang), &head)?;
    days.write_string_with_format(0, 3, Measure::Replied.label(lang), &head)?;
    for (i, (day, s)) in d.trend.iter().enumerate() {
        let row = 1 + i as u32;
        days.write_string(row, 0, day.to_string())?;
        days.write_number(row, 1, s.get(Measure::Received) as f64)?;
        days.write_number(row, 2, s.get(Measure::Closed) as f64)?;
        days.write_number(row, 3, s.get(Measure::Replied) as f64)?;
    }
    book.save_to_buffer()
}

/// A breakdown row (see [`breakdown_header`]) written from column `after + 1` on.
fn write_breakdown(
    sheet: &mut Worksheet,
    row: u32,
    after: u16,
    sums: &Sums,
    pct: &Format,
) -> std::result::Result<(), XlsxError> {
    let at = |c: u16| after + c;
    sheet.write_number(row, at(1), sums.get(Measure::Received) as f64)?;
    sheet.write_number(row, at(2), sums.get(Measure::Closed) as f64)?;
    for (i, k) in Kpi::ALL.iter().enumerate() {
        let col = at(3 + i as u16);
        match k.of(sums).percent() {
            Some(p) => sheet.write_number_with_format(row, col, p / 100.0, pct)?,
            None => sheet.write_string(row, col, "—")?,
        };
    }
    let col = at(3 + Kpi::ALL.len() as u16);
    match average_reply_days(sums) {
        Some(d) => sheet.write_number(row, col, (d * 10.0).round() / 10.0)?,
        None => sheet.write_string(row, col, "—")?,
    };
    Ok(())
}
