//! The command-line twins of the administration console, for automation: regions,
//! units, routing rules and the calendar. Each calls the same use case as the console,
//! as the operator (no actor: the server's operator manages everything).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use minsheng_app::App;
use minsheng_app::files::FileImportError;
use minsheng_core::Lang;
use minsheng_core::i18n::Explain;
use minsheng_core::region::RegionCode;
use minsheng_core::routing::RoutingRule;

#[derive(Subcommand)]
pub enum RegionsCommand {
    /// Import townships and villages from a CSV or XLSX file (UTF-8 or GBK) with the
    /// columns code,name (or 代码,名称) and optionally lat,long (纬度,经度). Rows may be
    /// in any order; importing the same file again changes nothing; each new township
    /// gets its township government unit. Any bad row writes nothing (exit 1).
    Import {
        /// The file.
        file: PathBuf,
        /// Only check the file and say what would change.
        #[arg(long)]
        check: bool,
    },
    /// Retire a region and everything under it: it keeps its history and its open
    /// appeals go on, but it takes no new appeals.
    Retire {
        /// The region's 12-digit code.
        code: String,
    },
    /// Bring a retired region (and everything under it) back into service.
    Restore {
        /// The region's 12-digit code.
        code: String,
    },
}

#[derive(Subcommand)]
pub enum UnitsCommand {
    /// Create or change units from a CSV or XLSX file with the columns key, name, kind,
    /// parent, jurisdiction, phone (or 编码, 名称, 类型, 上级, 辖区, 电话). A stored key
    /// is changed; importing the same file again changes nothing; any bad row writes
    /// nothing (exit 1).
    Import {
        /// The file.
        file: PathBuf,
        /// Only check the file and say what would change.
        #[arg(long)]
        check: bool,
    },
    /// List units: key, kind, name, jurisdiction.
    List,
}

#[derive(Subcommand)]
pub enum RoutingCommand {
    /// Add a rule: appeals of a category in a region (and everything under it) go to a
    /// lead unit, with co-handlers. The most specific rule wins.
    Add {
        /// Category code (e.g. gongre).
        #[arg(long)]
        category: String,
        /// Region code: the rule covers it and everything under it.
        #[arg(long)]
        region: String,
        /// Key of the lead unit.
        #[arg(long)]
        lead: String,
        /// Key of a co-handling unit (repeat for several).
        #[arg(long = "co")]
        co: Vec<String>,
    },
    /// List the rules.
    List,
    /// Remove a rule by its number.
    Remove {
        /// The rule's number (see `routing list`).
        id: i64,
    },
}

/// Prints what was wrong with a file, line by line in both languages; exit 1. A failed
/// use case is an error.
pub fn refused<P: Explain + std::fmt::Display>(
    file: &Path,
    e: FileImportError<P>,
) -> Result<ExitCode> {
    if let FileImportError::App(e) = e {
        return Err(e.into());
    }
    let zh = e.explain_all(Lang::Zh);
    for (zh, en) in zh.iter().zip(e.explain_all(Lang::En)) {
        println!("{}: {zh} / {en}", file.display());
    }
    println!(
        "未写入任何内容 / nothing was written ({} 处问题 / problems)",
        zh.len()
    );
    Ok(ExitCode::FAILURE)
}

/// Says why a use case refused, in both languages (exit 1): each bad field, or
/// `not_found`; a failure of the store is an error.
fn refused_use(e: minsheng_app::Error, not_found: &str) -> Result<ExitCode> {
    match e {
        minsheng_app::Error::Invalid(errors) => {
            for (field, e) in errors.0 {
                println!("--{field}: {} / {e}", e.explain(Lang::Zh));
            }
        }
        minsheng_app::Error::NotFound => println!("{not_found}"),
        e => return Err(e.into()),
    }
    Ok(ExitCode::FAILURE)
}

fn read(file: &Path) -> Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

fn verb(applied: bool) -> &'static str {
    if applied {
        "已导入 / imported"
    } else {
        "检查通过，未写入 / checked, nothing written"
    }
}

pub async fn regions(app: &App, command: RegionsCommand) -> Result<ExitCode> {
    let (code, retire) = match command {
        RegionsCommand::Import { file, check } => {
            return match app.import_regions(None, &read(&file)?, check).await {
                Ok(done) => {
                    let p = &done.plan;
                    println!(
                        "{}: 新增 {} 个区划 / new regions, 更名 {} / renamed, 坐标 {} / located, \
                         未变 {} / unchanged, 新建乡镇政府单位 {} / township units",
                        verb(done.applied),
                        p.add.len(),
                        p.rename.len(),
                        p.locate.len(),
                        p.unchanged,
                        done.units.len()
                    );
                    for key in &done.keys_taken {
                        println!(
                            "{key}: 此编码已被其他单位占用，未新建乡镇政府单位 / another unit holds this key; no township government was made"
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(&file, e),
            };
        }
        RegionsCommand::Retire { code } => (code, true),
        RegionsCommand::Restore { code } => (code, false),
    };
    let code = RegionCode::parse(code.trim())
        .map_err(|e| anyhow::anyhow!("{} / {e}", e.explain(Lang::Zh)))?;
    let open = match app.set_region_retired(None, &code, retire).await {
        Ok(open) => open,
        Err(e) => return refused_use(e, &format!("没有这个区划 / no such region: {code}")),
    };
    let what = if retire {
        "已停用 / retired"
    } else {
        "已恢复 / restored"
    };
    println!("{what} {code}; 其中仍有 {open} 件诉求在办 / {open} appeals there are still open");
    Ok(ExitCode::SUCCESS)
}

pub async fn units(app: &App, command: UnitsCommand) -> Result<ExitCode> {
    match command {
        UnitsCommand::Import { file, check } => {
            match app.import_units(None, &read(&file)?, check).await {
                Ok(done) => {
                    let p = &done.plan;
                    println!(
                        "{}: 新建 {} / created, 修改 {} / changed, 未变 {} / unchanged",
                        verb(done.applied),
                        p.created,
                        p.save.len() - p.created,
                        p.unchanged
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(&file, e),
            }
        }
        UnitsCommand::List => {
            for u in app.store.units().await? {
                let j: Vec<&str> = u.jurisdiction.iter().map(RegionCode::as_str).collect();
                println!("{}\t{}\t{}\t{}", u.key, u.kind.code(), u.name, j.join(" "));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn routing(app: &App, command: RoutingCommand) -> Result<ExitCode> {
    let units = app.store.units().await?;
    let id_of = |key: &str| {
        units
            .iter()
            .find(|u| u.key == key.trim())
            .map(|u| u.id)
            .with_context(|| format!("没有这个单位 / no unit with key {key}"))
    };
    let key_of = |id: i64| {
        units
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.key.clone())
    };
    match command {
        RoutingCommand::Add {
            category,
            region,
            lead,
            co,
        } => {
            let rule = RoutingRule {
                id: 0,
                category: category.trim().to_owned(),
                region: RegionCode::parse(region.trim())
                    .map_err(|e| anyhow::anyhow!("{} / {e}", e.explain(Lang::Zh)))?,
                lead: id_of(&lead)?,
                co: co.iter().map(|k| id_of(k)).collect::<Result<_>>()?,
            };
            match app.add_routing_rule(None, rule).await {
                Ok(id) => {
                    println!("已添加规则 / rule added: #{id}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused_use(e, "没有这个单位 / no such unit"),
            }
        }
        RoutingCommand::List => {
            for r in app.store.routing_rules().await? {
                let co: Vec<String> = r.co.iter().map(|u| key_of(*u)).collect();
                println!(
                    "#{}\t{}\t{}\t{}\t{}",
                    r.id,
                    r.category,
                    r.region,
                    key_of(r.lead),
                    co.join(" ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        RoutingCommand::Remove { id } => {
            if let Err(e) = app.remove_routing_rule(None, id).await {
                return refused_use(e, &format!("没有第 {id} 号规则 / no rule #{id}"));
            }
            println!("已删除规则 / rule removed: #{id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `calendar upload`: checks a holiday file and, unless `check`, puts it in use.
pub async fn upload_calendar(app: &App, file: &Path, check: bool) -> Result<ExitCode> {
    match app.upload_calendar(None, &read(file)?, check).await {
        Ok(done) => {
            let years: Vec<String> = done.years.iter().map(i32::to_string).collect();
            println!(
                "{}: {} 年 / years; {} 天放假 / days off, {} 天调休上班 / make-up working days",
                verb(done.applied),
                years.join(", "),
                done.holidays,
                done.workdays
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(file, e),
    }
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token that acts as a staff account (its roles and area) and print
    /// it; only its hash is kept, so it cannot be shown again.
    Create {
        /// The account's login name.
        #[arg(long)]
        user: String,
        /// How long it lives: 90d, 12h, 2w (none: until revoked).
        #[arg(long)]
        expires: Option<String>,
        /// What it is for (shown in lists), e.g. "12345 platform".
        #[arg(long, default_value = "API")]
        name: String,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id (from `token list`).
    Revoke {
        /// The token's id.
        id: i64,
    },
}

/// A time to the minute in China time, or a dash.
fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| {
        t.with_timezone(&minsheng_core::clock::china())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    })
    .unwrap_or_else(|| "—".into())
}

/// `minsheng token …`.
pub async fn token(app: &App, command: TokenCommand) -> Result<ExitCode> {
    match command {
        TokenCommand::Create {
            user,
            expires,
            name,
        } => {
            let lifetime = match expires.as_deref().map(minsheng_app::tokens::parse_lifetime) {
                Some(None) => {
                    println!(
                        "--expires: 期限应如 90d、12h、2w / a lifetime such as 90d, 12h or 2w"
                    );
                    return Ok(ExitCode::FAILURE);
                }
                Some(Some(l)) => Some(l),
                None => None,
            };
            match app.create_api_token(None, &user, &name, lifetime).await {
                Ok((listed, token)) => {
                    println!(
                        "已创建令牌 / token created: #{} {} ({})",
                        listed.id, listed.name, listed.username
                    );
                    println!("到期 / expires: {}", when(listed.expires_at));
                    println!("{token}");
                    println!("请立即保存，此令牌不会再次显示 / keep it now: it is not shown again");
                    Ok(ExitCode::SUCCESS)
                }
                Err(minsheng_app::Error::NotFound) => {
                    println!("没有这个账号 / no such account: {user}");
                    Ok(ExitCode::FAILURE)
                }
                Err(minsheng_app::Error::Forbidden) => {
                    println!("账号已停用 / the account is deactivated: {user}");
                    Ok(ExitCode::FAILURE)
                }
                Err(minsheng_app::Error::Invalid(errors)) => {
                    for (field, e) in &errors.0 {
                        println!("{field}: {} / {e}", e.explain(Lang::Zh));
                    }
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        TokenCommand::List => {
            println!(
                "id\t账号 user\t名称 name\t前缀 prefix\t到期 expires\t最近使用 last used\t状态 state"
            );
            for t in app.api_token_list(None).await? {
                let state = if t.revoked_at.is_some() {
                    "已吊销 revoked"
                } else if t.expires_at.is_some_and(|e| e <= minsheng_store::now()) {
                    "已过期 expired"
                } else {
                    "有效 live"
                };
                println!(
                    "{}\t{}\t{}\t{}…\t{}\t{}\t{state}",
                    t.id,
                    t.username,
                    t.name,
                    t.prefix,
                    when(t.expires_at),
                    when(t.last_used_at)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { id } => match app.revoke_api_token(None, id).await {
            Ok(t) => {
                println!("已吊销 / revoked: #{} {} ({})", t.id, t.name, t.username);
                Ok(ExitCode::SUCCESS)
            }
            Err(minsheng_app::Error::NotFound) => {
                println!("没有这个令牌 / no such token: {id}");
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(e.into()),
        },
    }
}

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Make an Open311 API key for an app or platform (`api_key` on POST
    /// /open311/v2/requests) and print it; only its hash is kept.
    Create {
        /// Whose it is, e.g. "城市通 App".
        name: String,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by its id (from `api-key list`).
    Revoke {
        /// The key's id.
        id: i64,
    },
}

/// `minsheng api-key …`.
pub async fn api_key(app: &App, command: ApiKeyCommand) -> Result<ExitCode> {
    match command {
        ApiKeyCommand::Create { name } => match app.create_api_key(None, &name).await {
            Ok((listed, key)) => {
                println!(
                    "已创建 Open311 API key / key created: #{} {}",
                    listed.id, listed.name
                );
                println!("{key}");
                println!("请立即保存，此 key 不会再次显示 / keep it now: it is not shown again");
                Ok(ExitCode::SUCCESS)
            }
            Err(minsheng_app::Error::Invalid(errors)) => {
                for (field, e) in &errors.0 {
                    println!("{field}: {} / {e}", e.explain(Lang::Zh));
                }
                Ok(ExitCode::FAILURE)
            }
            Err(minsheng_app::Error::NotFound) => {
                println!("尚未初始化本县 / the county is not set up: run minsheng init first");
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(e.into()),
        },
        ApiKeyCommand::List => {
            println!("id\t名称 name\t前缀 prefix\t创建 created\t最近使用 last used\t状态 state");
            for k in app.api_key_list(None).await? {
                let state = if k.revoked_at.is_some() {
                    "已吊销 revoked"
                } else {
                    "有效 live"
                };
                println!(
                    "{}\t{}\t{}…\t{}\t{}\t{state}",
                    k.id,
                    k.name,
                    k.prefix,
                    when(Some(k.created_at)),
                    when(k.last_used_at)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ApiKeyCommand::Revoke { id } => match app.revoke_api_key(None, id).await {
            Ok(k) => {
                println!("已吊销 / revoked: #{} {}", k.id, k.name);
                Ok(ExitCode::SUCCESS)
            }
            Err(minsheng_app::Error::NotFound) => {
                println!("没有这个 key / no such key: {id}");
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(e.into()),
        },
    }
}
