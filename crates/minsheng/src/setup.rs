//! Keys, the calendar and the application, shared by every command.

use std::path::Path;

use anyhow::{Context, Result, bail};
use minsheng_app::App;
use minsheng_store::{DataKey, Keyring};

/// The data key: `MINSHENG_DATA_KEY`, else the key file; a missing file is created when
/// `may_create` (first runs), and is an error otherwise.
pub fn keyring(key_file: &Path, may_create: bool) -> Result<Keyring> {
    if let Ok(hex) = std::env::var("MINSHENG_DATA_KEY") {
        return Ok(Keyring::new(
            DataKey::from_hex(&hex).context("MINSHENG_DATA_KEY must be 64 hex digits")?,
        ));
    }
    if key_file.exists() {
        let hex = std::fs::read_to_string(key_file)
            .with_context(|| format!("reading key file {}", key_file.display()))?;
        let key = DataKey::from_hex(&hex)
            .with_context(|| format!("key file {} (MINSHENG_KEY_FILE)", key_file.display()))?;
        return Ok(Keyring::new(key));
    }
    if !may_create {
        bail!(
            "没有数据密钥 / no data key: set MINSHENG_DATA_KEY or MINSHENG_KEY_FILE (missing: {})",
            key_file.display()
        );
    }
    write_private(key_file, &DataKey::generate_hex())?;
    println!(
        "已生成数据密钥文件 {} ——请妥善备份，丢失将无法解密个人信息。\n\
         Generated data key file {}: back it up; without it personal data cannot be decrypted.",
        key_file.display(),
        key_file.display()
    );
    keyring(key_file, false)
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("creating key file {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

/// A text file as people save it: UTF-8 (with or without a BOM) or GBK.
pub fn read_text(path: &Path) -> Result<String> {
    use minsheng_core::i18n::Explain;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    minsheng_app::files::text(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: {} / {e}",
            path.display(),
            e.explain(minsheng_core::Lang::Zh)
        )
    })
}

/// The shipped calendar, with the years of `extra` (MINSHENG_CALENDAR) added or replaced.
pub fn calendar(extra: Option<&Path>) -> Result<minsheng_core::clock::Calendar> {
    use minsheng_core::clock::Calendar;
    use minsheng_core::i18n::Explain;
    let shipped = Calendar::shipped();
    let Some(path) = extra else {
        return Ok(shipped);
    };
    let text = read_text(path).context("MINSHENG_CALENDAR")?;
    let more = Calendar::parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} (MINSHENG_CALENDAR): {} / {e}",
            path.display(),
            e.explain(minsheng_core::Lang::Zh)
        )
    })?;
    Ok(shipped.merge(more))
}

/// The calendar in use: with the county's database (a key and, for SQLite, an existing
/// file), the one the server uses (uploads included); without, the shipped one with
/// `extra`.
pub async fn calendar_in_use(
    database_url: &str,
    key_file: &Path,
    extra: Option<&Path>,
) -> Result<minsheng_core::clock::Calendar> {
    let sqlite_missing = database_url
        .strip_prefix("sqlite://")
        .is_some_and(|p| !Path::new(p.split('?').next().unwrap_or(p)).exists());
    match keyring(key_file, false) {
        Ok(keys) if !sqlite_missing => Ok(app(database_url, keys, extra)
            .await?
            .calendar()
            .as_ref()
            .clone()),
        _ => calendar(extra),
    }
}

/// Opens the database and the application on it, with the calendar of `extra` added.
pub async fn app(database_url: &str, keys: Keyring, extra: Option<&Path>) -> Result<App> {
    let store = minsheng_store::open(database_url, keys)
        .await
        .with_context(|| format!("opening {database_url}"))?;
    let app = App::new(store).with_calendar(calendar(extra)?);
    app.load_calendars()
        .await
        .context("loading the uploaded calendars")?;
    Ok(app)
}

/// Refuses a SQLite database file that does not exist (opening would create an empty
/// one, and a mistyped path would then pass every check).
pub fn existing_database(url: &str) -> Result<()> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = rest.split('?').next().unwrap_or(rest);
        if !Path::new(path).exists() {
            bail!(
                "没有这个数据库文件：{path}（请检查 MINSHENG_DATABASE_URL）/ no database file at {path} (check MINSHENG_DATABASE_URL)"
            );
        }
    }
    Ok(())
}
