//! Interface texts in Simplified Chinese (default) and English, and the language switch.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_core::Lang;
use serde::Deserialize;

use crate::extract::Query;

/// Declares every interface text once, with its Chinese and English wording.
macro_rules! texts {
    ($($key:ident: $zh:literal, $en:literal;)+) => {
        /// All interface texts of one language.
        pub struct Texts {
            $(pub $key: &'static str,)+
        }
        /// 简体中文
        pub static ZH: Texts = Texts { $($key: $zh,)+ };
        /// English
        pub static EN: Texts = Texts { $($key: $en,)+ };
    };
}

texts! {
    html_lang: "zh-CN", "en";
    app_name: "民声", "Minsheng";
    tagline: "群众诉求服务平台", "Citizen appeals service";
    other_lang: "English", "中文";
    other_lang_tag: "en", "zh";
    nav_submit: "我要反映", "Raise an appeal";
    nav_track: "查询进度", "Track an appeal";
    nav_staff: "工作人员入口", "Staff";
    home_intro: "有困难、有意见、有建议，请告诉我们。提交后会得到受理编号和查询码，可随时查询办理进度。",
        "Tell us about a problem, a complaint or a suggestion. You will get an appeal number and a tracking code to follow its progress.";
    submit_title: "反映诉求", "Raise an appeal";
    submit_intro: "带 * 的为必填项。您的姓名和电话只用于回复您，不会公开。",
        "Fields marked * are required. Your name and phone are used only to reply to you and are never published.";
    field_category: "诉求类别", "Category";
    field_township: "乡镇（街道）", "Township";
    field_village: "村（社区）", "Village / community";
    field_address: "具体地点", "Exact place";
    field_title: "标题", "Title";
    field_text: "诉求内容", "What happened";
    field_media: "附件（照片、扫描件）", "Files (photos, scans)";
    files: "附件", "Files";
    reveal_reason: "查看完整信息的理由（如：回访核实）", "Why you need the full details (e.g. calling back)";
    reveal_button: "查看完整信息", "Show in full";
    revealed_note: "已显示完整信息；本次查看已记入审计日志。", "Shown in full; this view is recorded in the audit log.";
    field_name: "姓名", "Name";
    field_phone: "联系电话", "Phone";
        field_anonymous: "匿名反映（不留姓名和电话，将无法回复您）", "Stay anonymous (we cannot reply to you)";
    field_publish: "同意在网上公开办理答复（不含姓名、电话等个人信息）", "I agree that the reply may be published online (without my name, phone or other personal data)";
    field_channel: "来源渠道", "Channel";
    field_kind: "诉求性质", "Kind";
    field_id_number: "身份证号码", "ID number";
    field_home_address: "家庭住址", "Home address";
    field_headcount: "人数", "Number of people";
    choose: "请选择", "Please choose";
    submit_button: "提交诉求", "Submit appeal";
    text_hint: "请写清楚时间、地点、事情经过和您的诉求，最多5000字。", "Say when, where, what happened and what you ask for; at most 5000 characters.";
    form_has_errors: "请按提示修改后再提交，您填写的内容已保留。", "Please correct the marked fields; what you typed has been kept.";
    receipt_title: "提交成功", "Appeal received";
    receipt_intro: "我们已收到您的诉求。请记下受理编号和查询码：凭查询码可随时查询办理进度。",
        "We have received your appeal. Keep the appeal number and the tracking code: the code lets you follow its progress.";
    appeal_no: "受理编号", "Appeal number";
    tracking_code: "查询码", "Tracking code";
        track_this: "查看办理进度", "See progress";
    receipt_verdict: "办理单位答复后，请打开下面的评价链接告诉我们是否满意、问题是否解决（每次答复可评价一次，答复后7天内有效）：",
        "Once the office has answered, open this link to tell us whether you are satisfied and whether the problem was solved (once per answer, within 7 days of it):";
    verdict_title: "评价办理结果", "Rate the answer";
    verdict_intro: "请根据实际办理情况评价。您的评价直接计入对办理单位和承办人的考核。", "Please judge by what was actually done. Your verdict counts in how the office and the official who answered are assessed.";
    verdict_until: "评价截止", "Open until";
    verdict_reply: "办理单位的答复", "The office's answer";
    verdict_note: "意见（选填）", "Comments (optional)";
    verdict_submit: "提交评价", "Send my verdict";
    verdict_closed: "目前不能评价：尚未答复、已经评价，或评价期已过。如有意见请拨打12345热线。", "A verdict cannot be given now: there is no answer yet, it was already rated, or the time to rate it has passed. Call the 12345 hotline with any concern.";
    verdict_thanks: "感谢您的评价，我们已记录。", "Thank you: your verdict is recorded.";
    verdict_open: "办理单位已答复，请评价办理结果", "The office has answered: rate the answer";
    act_contest: "对评价提出异议", "Contest the verdict";
    act_rule_contest: "裁定评价异议", "Rule on the contest";
    field_ruling: "裁定", "Ruling";
    ruling_upheld: "异议成立（该评价不计入考核）", "Upheld (the verdict no longer counts)";
    ruling_rejected: "异议不成立（评价维持）", "Rejected (the verdict stands)";
    track_title: "办理进度", "Progress";
    track_prompt: "输入查询码", "Enter your tracking code";
    track_button: "查询", "Track";
    track_unknown: "查询码格式不正确，应为26位字母和数字。", "A tracking code has 26 letters and digits.";
    status: "状态", "Status";
    category: "类别", "Category";
    received_at: "受理时间", "Received";
    due_at: "办理时限", "Due";
    timeline: "办理过程", "Timeline";
    login_title: "工作人员登录", "Staff login";
    username: "登录名", "Login name";
    password: "密码", "Password";
    login_button: "登录", "Log in";
    login_error: "登录名或密码不正确。", "Wrong login name or password.";
    logout: "退出", "Log out";
    inbox_title: "待办诉求", "Inbox";
    view_unit: "本单位承办", "My unit's cases";
    view_all: "辖区全部", "Everything in my area";
    filter_apply: "筛选", "Filter";
    nav_dashboard: "领导驾驶舱", "Dashboard";
    dashboard_title: "诉求办理总览", "Appeals at a glance";
    kpi_received: "受理诉求", "Appeals received";
    kpi_closed: "办结", "Closed";
    kpi_overdue_now: "当前超期", "Overdue now";
    kpi_open_now: "在办", "Open";
    kpi_backlog_hard: "积案 / 难案", "Backlog / hard cases";
    kpi_hard_closed: "本期化解", "resolved in the period:";
    kpi_reply_days: "平均办理工作日", "Average working days to reply";
    kpi_replies: "答复", "Replies";
    kpi_whole_area: "全辖区", "Whole area";
    kpi_from: "自", "From";
    kpi_to: "至", "To";
    kpi_day: "日期", "Day";
    kpi_score: "综合得分", "Score";
    chart_trend: "每日受理与办结", "Received and closed per day";
    chart_as_table: "以表格查看", "Show as a table";
    chart_categories: "诉求类别", "Categories";
    chart_map: "乡镇（街道）分布", "By township";
    chart_ranking: "承办单位排名", "Unit ranking";
    ranking_intro: "综合得分按满意率、解决率、按时办结率、响应率和退单率加权计算（权重见 docs/kpi.md）；在办与超期为当前数。", "The score weighs satisfaction, resolution, on-time replies, response and returns (weights in docs/kpi.md); open and overdue are as of now.";
    chart_overdue: "各单位超期件数（当前）", "Overdue cases by unit (now)";
    chart_groups: "最大的关联诉求群", "Largest groups of related appeals";
    groups_none: "本期没有关联诉求群。", "No groups of related appeals in this period.";
    group: "诉求群", "Group";
    group_updated: "最近新增", "Last grew";
            report_link: "月度/年度报表", "Monthly / annual report";
                export_xlsx: "导出 Excel", "Export to Excel";
        signs_title: "疑似虚假办结", "Signs of false closures";
    cadres_title: "承办人群众口碑", "Cadres as the people judge them";
    cadres_intro: "回访评价记在作出答复的承办人名下；综合得分权重同单位排名。", "A return visit's verdict counts for the cadre who wrote the reply; the score weighs as the unit ranking does.";
    cadre: "承办人", "Cadre";
    visits: "回访", "Visits";
    signs_intro: "系统在办理过程中自动标记：群众称未解决却已办结、答复过于简单（少于 15 个字）、办结后重新办理。点击数字查看对应诉求。", "Marked as cases are handled: closed though the appellant said unsolved, a reply under 15 characters, reopened after closing. Click a number for the cases.";
    nav_figures: "公开数据", "Figures";
    public_figures_title: "群众诉求办理情况公开", "Appeals in figures";
    public_figures_intro: "以下为本县近十二个月受理群众诉求的统计，按乡镇（街道）和诉求类别分列。为保护个人信息，少于 {min} 件的数字不公开（显示为“—”），并相应隐去同行或同列的另一个数字。", "The county's appeals of the last twelve months, by township and by category. To protect people, counts under {min} are not shown (marked “—”), nor one other count in the same row or column.";
    withheld: "—", "—";
    public_by_month: "逐月受理与办结", "Month by month";
    public_by_township: "各乡镇（街道）", "By township";
    public_by_category: "各诉求类别", "By category";
    public_cross: "乡镇（街道）× 类别（受理件数）", "Township × category (appeals received)";
    month: "月份", "Month";
    sheet_link: "打印交办单", "Print the assignment sheet";
    working_days: "个工作日", "working days";
    sheet_title: "群众诉求交办单", "Assignment sheet";
    sheet_no: "受理编号", "Appeal number";
    sheet_printed: "打印时间", "Printed";
    sheet_received: "受理时间", "Received";
    sheet_channel: "来源渠道", "Channel";
    sheet_kind: "诉求类型", "Kind";
    sheet_place: "发生地点", "Place";
    sheet_appellant: "诉求人", "Appellant";
    sheet_phone: "联系电话", "Phone";
    sheet_subject: "诉求标题", "Subject";
    sheet_text: "诉求内容", "What they ask";
    sheet_due: "办理时限", "Due";
    sheet_supervision: "督办要求", "Supervision order";
    sheet_opinion: "交办意见", "Instructions";
    sheet_assigned_by: "交办人", "Assigned by";
    sheet_signed_by: "签收人", "Signed for by";
    sheet_date: "日期", "Date";
    sheet_result: "办理结果", "Result";
    sheet_note: "本单据含群众个人信息（已脱敏），仅限承办工作使用，不得外传。", "This sheet holds an appellant's details (masked); for handling only, not to be passed on.";
    export_name: "诉求列表", "appeals";
    report_area: "范围", "Area";
    report_period: "期间", "Period";
    report_made: "生成时间", "Made";
    report_download: "下载 Excel", "Download as Excel";
    report_back: "返回总览", "Back to the dashboard";
    report_figures: "主要指标", "Headline figures";
    report_figure: "指标", "Figure";
    report_value: "数值", "Value";
    report_of: "分子 / 分母", "Of / out of";
    filter_reset: "清除", "Clear";
    all: "全部", "All";
    date_from: "受理日期起", "Received from";
    date_to: "受理日期止", "Received to";
    number: "编号", "Number";
    title: "标题", "Title";
    place: "地点", "Place";
    channel: "渠道", "Channel";
    kind: "性质", "Kind";
    unit: "承办单位", "Handling unit";
    appellant: "诉求人", "Appellant";
    anonymous: "匿名", "anonymous";
    total: "共", "Total";
    page: "页", "Page";
    prev: "上一页", "Previous";
    next: "下一页", "Next";
    no_rows: "没有符合条件的诉求。", "No appeals match.";
    search_label: "编号或关键词", "Number or words";
    nav_alerts: "预警", "Alerts";
    suggest_title: "分流建议", "Routing suggestions";
    cluster_title: "同类诉求", "Similar appeals";
    cluster_appeals: "件", "appeals";
    lift_recusal: "误判，解除回避", "Not an accusation: lift";
    lift_reason: "解除理由", "Why";
    accused_hint: "本件为举报，以下被举报单位及其下属须回避（不承办、不可查看）：", "An accusation: these units and those under them stand aside (may neither handle nor see it): ";
    litigation_hint: "疑似涉法涉诉：已进入或经过诉讼、仲裁、检察程序的，建议引导依法定途径解决（涉法涉诉轨道）", "Looks litigation-related: a matter already before a court, arbitration or procuratorate is best advised to the legal channel (the litigation track)";
    suggest_keywords: "依据类别关键词", "from the categories' keywords";
    suggest_learnt: "学习的已办结诉求", "appeals learnt from:";
    suggest_dispatch: "一键派至此单位", "Dispatch to this unit in one click";
    alerts_title: "预警研判", "Early-warning alerts";
    alerts_intro: "危及生命或公共秩序的表述、集体访、重复来访等，在登记时即时预警；红色、橙色同时通知值班。", "Threats to a life or to public order, collective visits and repeat appellants raise alerts the moment they are registered; red and orange ones also notify the duty desk.";
    alerts_active: "待处置和处置中", "Active";
    alerts_all: "全部", "All";
        nav_meetings: "联席会议", "Joint meetings";
    nav_outreach: "群众工作", "Outreach";
    out_receptions: "领导接访日", "Leader reception days";
    out_contacts: "包村居联系", "Contact cadres";
    out_visits: "下访", "Field visits";
    out_disputes: "矛盾纠纷排查", "Dispute screening";
    out_mediations: "人民调解", "Mediation";
    out_consultations: "征求意见", "Consultations";
    out_saved: "已保存", "Saved.";
    out_none: "暂无", "None yet.";
    out_save: "保存", "Save";
    f_leader: "接访领导", "Leader";
    f_day: "日期", "Day";
    f_from: "开始时间", "From";
    f_to: "结束时间", "To";
    f_place: "地点", "Place";
    f_topic: "主题（选填）", "Topic (optional)";
    f_visitors: "已登记来访", "Visitors registered";
    act_schedule: "安排接访", "Schedule";
    act_register_visitor: "登记来访", "Register a visitor";
    f_place_kind: "类型", "Kind";
    f_region: "村（社区）", "Village or community";
    f_place_name: "名称（企业、学校须填）", "Name (enterprises and schools)";
    f_cadre: "联系干部", "Contact cadre";
    act_assign: "指定", "Assign";
    act_end: "解除", "End";
    uncovered_title: "尚无联系干部的村（社区）", "Villages and communities with no contact cadre";
    f_purpose: "下访事由", "Purpose";
    f_people: "接触群众", "People met";
    f_notes: "情况记录", "Notes";
    f_cases: "涉及诉求编号", "Appeal numbers";
    f_resolved: "现场化解的诉求编号", "Settled on the visit";
    f_done: "已下访（不勾选即为下访计划）", "Made (leave unticked for a plan)";
    f_staff: "干部", "Cadre";
    f_state: "状态", "State";
    screening_title: "排查活动", "Screening campaigns";
    f_name: "名称", "Name";
    f_area: "范围", "Area";
    act_start_screening: "开始排查", "Start a campaign";
    f_screening: "所属排查活动", "Campaign";
    f_daily: "日常排查", "Daily work";
    f_dispute_kind: "纠纷类型", "Kind of dispute";
    f_risk: "风险等级", "Risk";
    f_parties: "当事人", "Parties";
    f_summary: "纠纷情况", "What it is about";
    act_report_dispute: "登记纠纷", "Report a dispute";
    register_title: "风险台账", "Risk register";
    high_open: "高风险未化解", "High risk, open";
    f_follow: "跟进情况", "Follow-up";
    act_follow: "记录跟进", "Record the follow-up";
    act_to_case: "转为诉求登记", "Register as an appeal";
    f_why: "查看理由", "Why you need it";
    act_reveal_parties: "查看当事人全名", "Show the parties in full";
    f_all: "全部", "All";
    f_mediator: "调解员", "Mediator";
    f_held_on: "调解日期", "Held on";
    f_agreement: "协议内容或调解情况", "Agreement or what was said";
    f_outcome: "调解结果", "Outcome";
    f_follow_up_on: "回访日期（选填）", "Check on (optional)";
    f_judicial: "已申请司法确认", "Judicial confirmation requested";
    f_judicial_short: "司法确认", "Judicial confirmation";
    f_appeal_no: "关联诉求编号（选填）", "Appeal number (optional)";
    f_dispute_no: "关联纠纷编号（选填）", "Dispute number (optional)";
    act_record_mediation: "记录调解", "Record a mediation";
    f_proposal: "方案内容", "Proposal";
    f_opens: "开始日期", "Opens";
    f_closes: "截止日期", "Closes";
    act_open_consultation: "发布征求意见", "Publish a consultation";
    f_opinions: "收到意见", "Opinions received";
    f_response: "意见采纳情况", "Response to the opinions";
    act_respond: "发布反馈", "Publish the response";
    f_opinion: "您的意见", "Your opinion";
    act_give_opinion: "提交意见", "Send my opinion";
    opinion_thanks: "感谢您的意见，我们会认真研究。", "Thank you: your opinion will be considered.";
    consultation_closed: "本次征求意见不在开放时间内。", "This consultation is not taking opinions now.";
    public_receptions_intro: "县领导在以下时间、地点接待来访群众，有诉求可以当面反映。", "County leaders receive the public at these times and places: come and raise your appeal in person.";
    public_replies_title: "答复公开", "Published replies";
    public_replies_intro: "以下是诉求人同意公开的办理答复，已隐去姓名、电话等个人信息。", "Replies the appellants agreed to publish, with names, phone numbers and other personal data taken out.";
    public_consultations_intro: "政府拟作出的重要决策，在此公开征求群众意见。", "Decisions the government proposes, open for the public's opinion.";
        weights_title: "排名权重", "Ranking weights";
        nav_notices: "通知", "Notices";
        act_contact: "记录联系群众", "Record a call to the appellant";
    act_follow_up: "登记催单", "Record a follow-up";
    caller_repeat: "重复来电：30天内已反映{n}次", "Repeat caller: {n} appeals in 30 days";
    caller_concluded: "该群众有事项已复核终结，不再作为新的信访事项受理：", "A matter of this caller was closed after re-review and is not taken up again:";
    caller_urge: "催单", "Follow up";
    caller_urge_note: "催办内容", "What they asked";
    registered_title: "登记成功，请向来电人读出", "Registered: read these to the caller";
    registered_code: "查询码", "Tracking code";
    registered_due: "下一期限", "Next deadline";
        copy: "复制", "Copy";
        pick_type: "输入两三个字筛选", "Type a few characters to filter";
            supervision_by: "下达", "issued by";
    answers_title: "答复库", "Answers";
    answers_intro: "县里统一维护的答复：承办人答复时可按类别选用，话务员可据此直接解答咨询。", "The county's answers: handlers pick them by category when replying; call-takers answer consultations from them.";
    answers_edit: "修改", "Edit";
    answers_remove: "删除", "Remove";
    answers_add: "新增答复", "Add an answer";
    answers_name: "标题", "Title";
    answers_body: "答复内容", "Answer";
            answers_pick: "选用答复库", "Use a kept answer";
    dense: "紧凑", "Dense";
    answer_now: "当场解答办结（仅咨询）", "Answered on the spot (consultations only)";
    answer_now_text: "解答内容", "The answer given";
    bulk_title: "批量处理结果", "Bulk action";
    bulk_done: "已处理", "Done";
    bulk_refused: "未处理", "Refused";
    bulk_bar: "对选中的诉求", "With the selected appeals";
    bulk_dispatch: "派单至", "Dispatch to";
    bulk_merge: "合并至编号", "Merge into number";
    bulk_label: "加标签", "Add the label";
    bulk_export: "导出 Excel", "Export to Excel";
    bulk_go: "执行", "Go";
    bulk_select: "选择", "Select";
    bulk_not_found: "不存在或无权查看", "no such appeal in your area";
    supervision_due: "期限", "due";
    field_contact_outcome: "联系结果", "How the call went";
    contact_reached: "已接通", "Reached";
    contact_no_answer: "无人接听", "No answer";
    contact_wrong_number: "号码错误", "Wrong number";
    notices_title: "我的通知", "My notices";
    notices_empty: "暂无通知。", "No notices.";
    notices_read_all: "全部标为已读", "Mark all read";
    notices_when: "时间", "When";
    notices_what: "事项", "What";
    notices_about: "涉及", "About";
    notices_by_email: "邮件提醒", "Notices by e-mail";
    notices_email: "邮箱", "E-mail";
    notices_which: "以下通知同时发送邮件", "Also send these by e-mail";
    messages_title: "短信与消息", "SMS and messages";
    messages_intro: "群众留了手机号的，系统在受理、答复和办结评价时发送短信。模板中可用 {no}（编号）、{code}（查询码）、{link}（链接）；清空保存即恢复默认。", "Appellants who gave a phone get an SMS at receipt, at the answer and with the rating link. A template may use {no} (number), {code} (tracking code) and {link}; save it empty to restore the default.";
        messages_changed: "已修改", "changed";
    messages_template: "短信模板", "SMS template";
    messages_outbox: "发送队列", "Outbox";
    messages_pending: "待发送", "Waiting";
    messages_sent: "已发送", "Sent";
    messages_failed: "已放弃", "Given up";
    messages_kind: "类型", "Kind";
    messages_attempts: "尝试次数", "Attempts";
    messages_error: "最近错误", "Last error";
    messages_retry: "重新发送", "Send again";
    weights_intro: "单位和干部排名按以下权重计算得分（每项0–100分，至少一项大于0；未填为0）。", "Units and cadres are ranked by a score with these weights (each 0–100 points, at least one above 0; empty is 0).";
    contacts_here: "包联干部", "Contact cadres";
    visits_here: "下访记录", "Field visits";
    mediations_here: "调解记录", "Mediation records";
    settled_on_visits: "下访化解", "Settled on field visits";
    intake_reception: "登记到接访日：", "Registering at the reception day:";
    intake_dispute: "由排查纠纷转入：", "From the screened dispute:";
    meetings_title: "联席会议", "Joint meetings";
    meetings_intro: "召集相关单位研究预警和疑难案件，记录出席、纪要和议定事项；每个议定事项有责任单位和按工作日计算的完成时限，超期未办结的列入督办。", "Call the units concerned to an alert or a hard case; record who came, the minutes and the decisions. Each decision's action item has an owner unit and a deadline in working days; overdue ones go on the supervision list.";
    meetings_none: "还没有联席会议。", "No joint meetings yet.";
    meeting_call: "召集联席会议", "Call a joint meeting";
    meeting_name: "会议名称", "Title";
    meeting_name_hint: "如：城关街道供暖问题联席会议", "e.g. joint meeting on heating in Chengguan";
    meeting_date: "会议日期", "Date";
    meeting_members: "成员单位", "Member units";
    meeting_open_actions: "未办结事项", "Open action items";
    meeting_overdue: "超期未办结的议定事项", "Overdue action items";
    meeting_agenda: "议题", "Agenda";
    meeting_alert: "预警", "Alert";
    meeting_appeal: "诉求编号", "Appeal number";
    meeting_note: "说明", "Note";
    meeting_agenda_add: "加入议题", "Add to the agenda";
    meeting_attendance: "出席人员", "Present";
    meeting_minutes: "会议纪要", "Minutes";
    meeting_minutes_save: "保存纪要", "Save the minutes";
    meeting_actions: "议定事项", "Decisions and action items";
    meeting_decision: "议定事项", "Decision";
    meeting_owner: "责任单位", "Owner unit";
    meeting_days: "完成时限（工作日）", "Working days";
    meeting_due: "完成时限", "Due";
    meeting_result: "办理结果", "Result";
    meeting_close: "办结", "Close";
    meeting_action_add: "添加议定事项", "Add the action item";
    meeting_saved: "已保存。", "Saved.";
    meeting_print: "打印纪要（可另存为 PDF）", "Print the minutes (or save as PDF)";
    meeting_print_hint: "用浏览器的打印功能打印或另存为 PDF。", "Use the browser's print to print or save as PDF.";
    meeting_docx: "下载 Word 文档", "Download as Word (.docx)";
    alert_level: "级别", "Level";
    alert_digest: "概况", "At a glance";
    alert_terms: "高频词", "Most used words";
    alert_timeline: "每日件数", "Appeals per day";
    alert_places: "地点", "Places";
    alert_rule: "类型", "Kind";
    alert_reason: "预警原因", "Reason";
    alert_members: "涉及诉求", "Appeals";
    alert_state: "状态", "State";
    alert_raised: "预警时间", "Raised";
    alert_unit: "处置单位", "Unit in charge";
    alert_leader: "包案领导", "Leader in charge";
    alert_outcome: "化解结果", "Outcome";
    alert_take: "签收处置", "Take it";
    alert_escalate: "提交联席会议", "Put before a joint meeting";
    alert_resolve: "标记已化解", "Mark resolved";
    alert_none: "没有预警。", "No alerts.";
    alert_list_members: "在列表中查看这些诉求", "See these appeals in the list";
    alert_done: "预警已更新。", "The alert was updated.";
    alert_closed: "此预警已化解，不能再更改。", "This alert is resolved and can no longer change.";
    risk_life: "危及生命", "Threat to life";
    risk_order: "扰乱秩序", "Threat to order";
    search_no_match: "没有找到含这些词的诉求（已结合其他筛选条件）。", "No appeals contain these words (with the other filters applied).";
    search_nothing: "没有可查找的词：标点和“你好”“反映”这类词不参与查找。", "Nothing to search for: punctuation and words such as 你好 or 反映 are left out of searches.";
    search_ranked: "按相关度排序", "Best matches first";
    export_hint: "快捷键：/ 筛选，n 登记新诉求", "Shortcuts: / filter, n new appeal";
    appeal_text: "诉求内容", "Text";
    people: "人", "people";
    intake_title: "登记诉求（热线、来访、来信）", "Register an appeal (call, visit, letter)";
    intake_button: "登记并派单", "Register and dispatch";
    caller_history: "来电历史", "Caller history";
    caller_lookup: "查询该号码以往诉求", "Look up earlier appeals from this number";
    no_history: "该号码没有以往诉求。", "No earlier appeals from this number.";
    new_appeal: "登记新诉求", "New appeal";
    back_to_inbox: "返回待办", "Back to inbox";
    signed_in_as: "当前用户", "Signed in as";
    backlog: "积案", "backlog";
    hard: "难案", "hard case";
    supervised: "督办中", "supervised";
    list_all: "全部", "All";
    list_overdue: "超期", "Overdue";
    list_supervision: "督办", "Supervision";
        list_flagged: "积案难案", "Backlog & hard";
    list_label: "列表", "List";
    tag_label: "标签", "Label";
    light: "时限", "Clock";
    track: "办理方式", "Track";
    next_due: "下一时限", "Next deadline";
    paused: "计时已暂停", "clock paused";
    leader_in_charge: "领导包案", "leader in charge";
    actions: "可办理事项", "What you can do";
    no_actions: "当前没有您可以办理的事项。", "There is nothing for you to do on this case now.";
    act_accept: "受理", "Accept";
    act_decline: "不予受理", "Decline";
    act_transfer: "转送", "Transfer";
    act_advise_legal: "导入法律途径", "Advise a legal channel";
    act_dispatch: "派单", "Dispatch";
    act_sign_for: "签收", "Sign for";
    act_return: "退单", "Return";
    act_rule: "审定由原单位办理", "Rule: the unit must handle it";
    act_reply: "答复/办结", "Reply";
    act_extend: "延期", "Extend";
    act_return_visit: "回访", "Return visit";
    act_request_review: "登记复查/复核申请", "Register a review request";
    act_issue_review: "出具复查/复核意见", "Give the review opinion";
    act_pause: "暂停计时", "Pause the clock";
    act_resume: "恢复计时", "Resume the clock";
    act_supervise: "督办", "Supervise";
    act_assign_leader: "我来包案", "Take charge as leader";
    act_merge: "合并到其他诉求", "Merge into another appeal";
    act_reopen: "重新办理", "Reopen";
    act_close: "办结归档", "Close";
    field_reason: "理由/说明", "Reason / note";
    field_reply: "答复内容", "Reply";
    field_organ: "有权处理机关", "Competent organ";
    field_days: "天数", "Days";
    field_unit: "承办单位", "Unit";
    field_urgency: "紧急程度", "Urgency";
    urgency_normal: "一般", "normal";
    urgency_urgent: "紧急", "urgent";
    urgency_complex: "复杂", "complex";
    field_return_reason: "退单理由", "Reason for return";
    reason_wrong_place: "属地不符", "not our area";
    reason_unclear_ownership: "权属不清", "ownership unclear";
    reason_overlapping_duties: "职能交叉", "overlapping duties";
    reason_other: "其他", "other";
        field_satisfied: "诉求人满意度", "How satisfied is the appellant?";
    rating_satisfied: "满意", "satisfied";
    rating_basic: "基本满意", "fairly satisfied";
    rating_unsatisfied: "不满意（重办）", "not satisfied (handle again)";
    field_solved: "问题是否解决", "Was the problem solved?";
    solved_solved: "已解决", "solved";
    solved_partly: "部分解决", "partly solved";
    solved_unsolved: "未解决", "not solved";
    field_legal_channel: "法律途径", "Legal channel";
    legal_lawsuit: "诉讼", "lawsuit";
    legal_arbitration: "仲裁", "arbitration";
    legal_reconsideration: "行政复议", "administrative reconsideration";
    field_into: "合并到（受理编号）", "Merge into (appeal number)";
    not_again: "同一诉求人就同一事项已复核终结，依法不再受理（可告知其不予受理）：", "The same appellant's same matter was finally decided on re-review and is not accepted again (decline it):";
    changed_meanwhile: "该诉求刚被他人办理过，请查看最新进展后再操作。", "Someone else acted on this appeal just now; please look at the latest timeline and try again.";
    admin_title: "系统管理", "Administration";
    admin_regions: "行政区划", "Regions";
    admin_regions_intro: "上传统计用区划代码表（CSV 或 Excel，UTF-8 或 GBK）。表头为“代码,名称”（或 code,name），可选“纬度,经度”；行的顺序不限，上级由代码推出；重复导入同一文件不会产生变化；新乡镇自动建立乡镇政府单位。",
        "Upload the official division codes (CSV or Excel, UTF-8 or GBK). Header code,name (or 代码,名称), optionally lat,long; rows in any order, the parent follows from the code; importing the same file again changes nothing; each new township gets its township government unit.";
    admin_file: "文件", "File";
    admin_check: "只检查，不写入", "Check only, write nothing";
    admin_import: "导入", "Import";
    admin_import_ok: "已导入", "Imported";
    admin_check_ok: "检查通过（未写入）", "Checked (nothing written)";
    admin_import_failed: "未导入，请修改文件后重试：", "Nothing was imported; fix the file and try again:";
    admin_added: "新增区划", "new regions";
    admin_renamed: "更名", "renamed";
    admin_located: "更新坐标", "located";
    admin_unchanged: "未变", "unchanged";
    admin_new_units: "新建乡镇政府单位", "new township governments";
    admin_townships: "乡镇（街道）", "Townships";
    admin_villages: "村（社区）数", "Villages";
    admin_routing: "分流规则", "Routing rules";
    admin_routing_intro: "规则按“诉求类别 × 区域”指定承办单位和协办单位：区域越具体越优先（村 > 乡镇 > 全县）；没有规则时用类别的默认承办单位，再没有则由所在乡镇（街道）兜底。",
        "A rule sends appeals of a category in a region to a lead unit and co-handlers: the most specific region wins (village over township over county); without a rule the category's default unit applies, else the township government of the place.";
    admin_region: "区域", "Region";
    admin_whole_county: "全县", "the whole county";
    admin_lead: "承办单位", "Lead unit";
    admin_co: "协办单位", "Co-handlers";
    admin_add_rule: "添加规则", "Add rule";
    admin_remove: "删除", "Remove";
    admin_no_rules: "还没有规则：全部按类别默认单位分流。", "No rules yet: every appeal goes to its category's default unit.";
    admin_test: "试一试：这件诉求会分到哪里？", "Test: where would this appeal go?";
    admin_test_button: "测试", "Test";
    admin_reason: "依据", "Because of";
    admin_nobody: "（无）", "(nobody)";
    admin_link: "系统管理", "Administration";
    login_throttled: "失败次数过多，为保护账号，请稍候再试。需等待", "Too many failed attempts; to protect the account, wait";
    seconds: "秒", "seconds";
    admin_staff: "工作人员", "Staff";
    admin_new_staff: "新建账号", "New account";
    admin_display_name: "姓名", "Name";
    admin_unit: "所属单位", "Unit";
    admin_roles: "角色", "Roles";
    admin_active: "状态", "Status";
    admin_is_active: "启用", "active";
    admin_is_inactive: "已停用", "deactivated";
    admin_must_change: "待改密码", "must change password";
    admin_create: "创建", "Create";
    admin_save: "保存", "Save";
    admin_deactivate: "停用（立即下线）", "Deactivate (signs out at once)";
    admin_activate: "重新启用", "Activate";
    admin_reset_password: "重置密码", "Reset password";
    admin_one_time: "一次性密码（只显示这一次，请当面或电话告知本人；首次登录须修改）：", "One-time password (shown only now; tell the person directly; it must be changed at first sign-in):";
    admin_search: "搜索登录名或姓名", "Search login or name";
    admin_units: "单位", "Units";
    admin_units_intro: "单位包括县直部门、乡镇（街道）、村（居）委会、群众工作室和调度中心；辖区决定它能看到和办理哪里的诉求。", "Units are county departments, townships, village committees, mass-work offices and the dispatch centre; the jurisdiction decides whose appeals they see and handle.";
    admin_unit_key: "编码", "Key";
    admin_unit_name: "名称", "Name";
    admin_unit_kind: "类型", "Kind";
    admin_unit_parent: "上级单位", "Parent unit";
    admin_no_parent: "（无）", "(none)";
    admin_jurisdiction: "辖区", "Jurisdiction";
    admin_jurisdiction_hint: "区划代码或名称，多个用空格或顿号分隔", "region codes or names, separated by spaces or commas";
    admin_phone: "联系电话", "Contact phone";
    admin_new_unit: "新建单位", "New unit";
    admin_units_import: "批量导入单位", "Import units";
    admin_units_import_intro: "CSV 或 Excel（UTF-8 或 GBK），表头：编码,名称,类型,上级,辖区,电话（或 key,name,kind,parent,jurisdiction,phone）。已有编码的单位会被更新，重复导入同一文件不会产生变化。", "CSV or Excel (UTF-8 or GBK) with the header key,name,kind,parent,jurisdiction,phone (or 编码,名称,类型,上级,辖区,电话). Units whose key exists are updated; importing the same file again changes nothing.";
    admin_created: "新建", "created";
    admin_changed: "修改", "changed";
    admin_edit: "修改", "Edit";
    admin_saved: "已保存", "Saved";
    admin_calendar_gaps: "这些年份没有节假日数据，期限按周一至周五计算，请补传", "These years have no holiday data; deadlines in them count Monday to Friday. Upload them";
    admin_key_taken: "此编码已被其他单位占用，未为该乡镇新建政府单位，请在“单位”中补建并设为兜底", "another unit holds this key: no township government was made for this township; make one under Units";
    sessions_title: "登录会话", "Sessions";
    sessions_intro: "闲置超过一定时间或登录满一定时长会自动退出。若在别处（如公用电脑）登录后忘记退出，可在此结束其他所有会话。", "A session ends after a while without use and after a fixed time in all. If you signed in elsewhere (a shared computer) and did not sign out, end every other session here.";
    sessions_end_others: "退出其他所有登录", "Sign out everywhere else";
    sessions_ended: "已结束的其他会话", "Other sessions ended";
    admin_sessions_ended: "已结束的会话", "Sessions ended";
    admin_end_sessions: "结束该账号全部会话（不停用）", "End all this account's sessions (keeps it active)";
    admin_not_saved: "未保存：", "Not saved:";
    admin_calendar_failed: "未启用，请修改文件后重试：", "Not put in use; fix the file and try again:";
    admin_categories: "诉求类别", "Categories";
    admin_categories_intro: "类别分两级。默认承办单位在没有分流规则时承办；关键词用于分流建议；“群众可见”的类别出现在群众门户和 Open311 服务列表中；附加字段作为 Open311 服务属性提供。", "Categories have two levels. The default unit handles appeals no routing rule places; keywords feed routing suggestions; public categories appear on the portal and in the Open311 service list; extra fields are offered as Open311 service attributes.";
    admin_category_code: "编码", "Code";
    admin_name_zh: "中文名称", "Chinese name";
    admin_name_en: "英文名称", "English name";
    admin_parent_category: "上级类别", "Parent category";
    admin_top_level: "（一级类别）", "(top level)";
    admin_default_unit: "默认承办单位", "Default unit";
    admin_keywords: "关键词", "Keywords";
    admin_public: "群众可见", "Public";
    admin_published: "通过 Open311 公开其诉求", "Publish its requests on Open311";
    admin_published_hint: "诉求内容会点名他人（如干部作风）的类别请勿勾选：群众可提交，但不公开", "Leave off for matters whose text names people (such as officials' conduct): citizens may raise them, they are not published";
    admin_unpublished: "不公开", "Not published";
    admin_public_hint: "在群众门户和 Open311 中可选", "offered on the portal and to Open311 clients";
    admin_fields: "附加字段", "Extra fields";
    admin_fields_hint: "每行一个：编码 | 名称 | 类型（文本/长文本/数字/日期/单选/多选）| 是否必填（是/否）| 选项（以 / 分隔）", "One a line: code | label | type (string/text/number/datetime/singlevaluelist/multivaluelist) | required (yes/no) | choices (separated by /)";
    admin_new_category: "新建类别", "New category";
    admin_hidden: "内部", "internal";
    admin_calendar: "节假日日历", "Holiday calendar";
    admin_tokens: "API 令牌", "API tokens";
    admin_tokens_intro: "令牌代表一个员工账号调用 /api/v1（权限和范围与该账号相同），只保存其哈希，创建后只显示一次。", "A token calls /api/v1 as a staff account (with its roles and area). Only its hash is kept; it is shown once, when made.";
    admin_token_user: "账号", "Account";
    admin_token_name: "用途", "Purpose";
    admin_token_prefix: "前缀", "Prefix";
    admin_token_expires: "到期", "Expires";
    admin_token_days: "有效天数（留空为长期）", "Days valid (empty: until revoked)";
    admin_token_last_used: "最近使用", "Last used";
    admin_token_state: "状态", "State";
    admin_token_live: "有效", "live";
    admin_token_revoked: "已吊销", "revoked";
    admin_token_expired: "已过期", "expired";
    admin_token_revoke: "吊销", "Revoke";
    admin_token_create: "创建令牌", "Make a token";
    admin_token_once: "请立即复制保存，此令牌不会再次显示：", "Copy it now; it is not shown again:";
    admin_token_bad_days: "有效天数应为1至3650的整数", "Days valid is a whole number from 1 to 3650";
    admin_keys: "Open311 API key", "Open311 API keys";
    admin_keys_intro: "城市 App 或合作平台以 API key 通过 Open311（POST /open311/v2/requests）提交诉求；只保存其哈希，创建后只显示一次。", "A city's app or a partner platform posts requests to Open311 (POST /open311/v2/requests) with a key. Only its hash is kept; it is shown once, when made.";
    admin_key_name: "给谁用（App 或平台名称）", "For whom (the app or platform)";
    admin_key_created: "创建时间", "Made";
    admin_key_create: "创建 API key", "Make a key";
    admin_token_no_account: "没有这个账号，或它不在您管理的范围内，或已停用", "No such account in your area, or it is deactivated";
    admin_calendar_intro: "上传下一年的节假日文件（格式与 minsheng calendar check 相同）。文件先逐行检查，有误则指明行号且不启用；无误立即生效，文件中声明的年份替换原有安排。", "Upload next year's holiday file (the format minsheng calendar check reads). It is checked line by line first: errors name their line and nothing changes; a good file is in use at once, its years replacing those years.";
    admin_calendar_years: "已覆盖年份", "Years covered";
    admin_calendar_horizon: "期限最远可计算至", "Deadlines computed up to";
    admin_upload: "上传", "Upload";
    admin_calendar_ok: "已启用", "In use";
    admin_days_off: "天放假", "days off";
    admin_workdays: "天调休上班", "make-up working days";
    admin_region_edit: "新增或更名区划", "Add or rename a region";
    admin_region_edit_intro: "填写12位代码和名称：代码已存在则更名，否则新增（上级须已存在）；可填中心点坐标。", "Give the 12-digit code and the name: an existing code is renamed, a new one added (its parent must exist); coordinates of its centre are optional.";
    admin_code: "代码", "Code";
    admin_name: "名称", "Name";
    admin_lat: "纬度", "Latitude";
    admin_long: "经度", "Longitude";
    admin_retire_title: "停用或恢复区划", "Retire or restore a region";
    admin_retire_intro: "停用后该区划及其下级不再受理新诉求；历史记录保留，在办诉求照常办理。", "A retired region and everything under it take no new appeals; their history stays and open appeals go on.";
    admin_retire: "停用", "Retire";
    admin_restore: "恢复", "Restore";
    admin_retired_done: "已停用", "Retired";
    admin_restored_done: "已恢复", "Restored";
    admin_open_left: "仍在办理的诉求（照常办理）", "appeals still open there (they go on)";
    password_title: "修改密码", "Change password";
    password_must: "您正在使用一次性密码，请先设置自己的密码。", "You signed in with a one-time password: choose your own first.";
    password_current: "当前密码", "Current password";
    password_new: "新密码（至少10位，含字母、数字、符号中的两类）", "New password (10+ characters, two kinds of letters, digits, signs)";
    password_repeat: "再次输入新密码", "New password again";
    password_changed: "密码已修改，其他设备上的登录已退出。", "Password changed; your other sessions were signed out.";
    nav_password: "修改密码", "Password";
}

/// The texts for a language.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// The person's language: the `lang` cookie set by the switch, else Chinese. The
/// browser's own language is not consulted, so a county office's English-locale PC
/// still shows the Chinese interface until someone chooses otherwise.
pub struct UiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(UiLang(
            crate::auth::cookie(&parts.headers, "lang").map_or(Lang::Zh, Lang::from_tag),
        ))
    }
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// `GET /lang/{tag}?next=/path`: remembers the language and goes back.
pub async fn switch_language(Path(tag): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = Lang::from_tag(&tag);
    // Only local paths, so the switch cannot be used to send people elsewhere.
    let next = q
        .next
        .filter(|n| {
            n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
        })
        .unwrap_or_else(|| "/".into());
    let mut resp = Redirect::to(&next).into_response();
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.tag()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}
