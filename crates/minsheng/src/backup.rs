//! `minsheng backup FILE` and `minsheng restore FILE`: a consistent copy of a SQLite
//! database taken while it serves, with a manifest beside it (what it holds, its
//! SHA-256, the id of the data key its personal data is sealed under, never the key),
//! and its restoration into a fresh database, checked against the manifest.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use minsheng_store::Keyring;
use serde::{Deserialize, Serialize};

/// What `FILE.manifest.json` says of a backup.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Manifest {
    format: u32,
    created_at: chrono::DateTime<chrono::Utc>,
    version: String,
    /// The data key's id (the key itself is backed up separately).
    key_id: String,
    appeals: i64,
    audit_records: i64,
    audit_head: String,
    bytes: u64,
    sha256: String,
    /// A keyed hash of the fields above, made with the data key: a manifest rewritten
    /// to match an altered copy does not pass without the key.
    seal: String,
}

impl Manifest {
    fn sealed(&self, keys: &Keyring) -> String {
        keys.blind_index(&format!(
            "backup-manifest|{}|{}|{}|{}|{}|{}|{}|{}",
            self.format,
            self.created_at.to_rfc3339(),
            self.key_id,
            self.appeals,
            self.audit_records,
            self.audit_head,
            self.bytes,
            self.sha256
        ))
    }
}

fn manifest_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

fn sha256_of(file: &Path) -> Result<(String, u64)> {
    use sha2::Digest;
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut hash = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((hex::encode(hash.finalize()), bytes))
}

/// Backs up the database at `url` into `file` (a new file) and writes its manifest.
pub async fn backup(url: &str, keys: Keyring, file: &Path) -> Result<()> {
    let key_id = keys.current_id().to_owned();
    let store = minsheng_store::open(url, keys.clone()).await?;
    let info = store
        .backup_to(file)
        .await
        .with_context(|| format!("备份失败 / backup to {} failed", file.display()))?;
    let (sha256, bytes) = sha256_of(file)?;
    let manifest = Manifest {
        format: 1,
        created_at: chrono::Utc::now(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        key_id,
        appeals: info.appeals,
        audit_records: info.audit_head.0,
        audit_head: info.audit_head.1,
        bytes,
        sha256,
        seal: String::new(),
    };
    let manifest = Manifest {
        seal: manifest.sealed(&keys),
        ..manifest
    };
    let path = manifest_path(file);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "已备份 / backed up: {} ({} 件诉求 / appeals, 审计记录 / audit records {}, {:.1} MB)",
        file.display(),
        manifest.appeals,
        manifest.audit_records,
        bytes as f64 / 1_048_576.0
    );
    println!(
        "清单 / manifest: {}  —— 数据密钥 {} 须另行备份 / back up data key {} separately",
        path.display(),
        manifest.key_id,
        manifest.key_id
    );
    Ok(())
}

/// Restores `file` into the new SQLite database `url`, checking the manifest, the
/// data key, the audit chain and the counts; fails loudly on any difference.
pub async fn restore(url: &str, keys: Keyring, file: &Path) -> Result<()> {
    let path = manifest_path(file);
    let manifest: Manifest = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("读取清单失败 / reading the manifest {}", path.display()))?,
    )
    .with_context(|| {
        format!(
            "清单无法读取 / the manifest {} does not read",
            path.display()
        )
    })?;
    let (sha256, _) = sha256_of(file)?;
    if manifest.key_id == keys.current_id() && manifest.seal != manifest.sealed(&keys) {
        bail!(
            "备份清单已被改动（与数据密钥的签名不符）/ the backup's manifest was altered (its seal does not match the data key)"
        );
    }
    if sha256 != manifest.sha256 {
        bail!(
            "备份文件与清单不符（已损坏或被改动）/ the backup file does not match its manifest (damaged or altered)"
        );
    }
    if keys.current_id() != manifest.key_id {
        bail!(
            "备份中的个人信息以数据密钥 {} 加密，当前密钥为 {}：请提供原密钥 / the backup's personal data is sealed under data key {}, this key is {}: give that key (MINSHENG_DATA_KEY or --key-file)",
            manifest.key_id,
            keys.current_id(),
            manifest.key_id,
            keys.current_id()
        );
    }
    let target = url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .context(
            "恢复只针对 SQLite / restore is for SQLite (PostgreSQL: pg_restore, see the README)",
        )?;
    let target = Path::new(target);
    if target.exists() {
        bail!(
            "{} 已存在：请恢复到新的数据库文件 / {} exists: restore into a new database file",
            target.display(),
            target.display()
        );
    }
    let tmp = target.with_extension("restoring");
    std::fs::copy(file, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, target)?;
    let store = minsheng_store::open(url, keys).await?;
    let report = store.verify_audit().await?;
    if let Some((seq, why)) = report.first_bad {
        bail!(
            "恢复后的审计链在第 {seq} 条记录处损坏 / the restored audit chain is broken at record {seq}: {why}"
        );
    }
    let head = store.audit_head().await?;
    let appeals = store.counts().await?.appeals;
    if head != (manifest.audit_records, manifest.audit_head.clone()) || appeals != manifest.appeals
    {
        bail!(
            "恢复结果与清单不符 / the restored database differs from the manifest: appeals {appeals} vs {}, audit head {} vs {}",
            manifest.appeals,
            head.0,
            manifest.audit_records
        );
    }
    println!(
        "已恢复 / restored into {}: {} 件诉求 / appeals, 审计链完整 / audit chain intact ({} 条记录 / records), 与清单一致 / matches the manifest",
        target.display(),
        appeals,
        report.records
    );
    Ok(())
}
