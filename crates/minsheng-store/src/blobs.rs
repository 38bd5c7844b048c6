//! The bytes of attached files, on disk under one directory, each named by the SHA-256
//! of its content (`ab/abcdef…`): the same photo sent twice is stored once, and a file
//! that changed on disk is noticed when read. A file is written to a temporary name,
//! synced and renamed, so a crash leaves either the whole file or none; the database
//! row that names it is written after, so a row never names a missing file (a crash
//! between the two leaves an unnamed file, which harms nothing).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The directory of attached files.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    /// Files under `dir` (created when the first file is stored).
    pub fn new(dir: impl Into<PathBuf>) -> Blobs {
        Blobs { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, sha256: &str) -> io::Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a SHA-256"));
        }
        Ok(self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Stores the bytes durably and returns their SHA-256 (hex). Blocking: call it
    /// off the async threads.
    pub fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha256)?;
        if path.exists() {
            // Written again just now: the sweep must not take it for a stray.
            std::fs::File::options()
                .write(true)
                .open(&path)?
                .set_modified(std::time::SystemTime::now())?;
            return Ok(sha256);
        }
        let folder = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(folder)?;
        let mut tmp = tempfile_in(folder)?;
        tmp.1.write_all(bytes)?;
        tmp.1.sync_all()?;
        std::fs::rename(&tmp.0, &path)?;
        // The rename itself is made durable by syncing the folder.
        std::fs::File::open(folder)?.sync_all()?;
        Ok(sha256)
    }

    /// The bytes stored under a SHA-256; an error when missing or changed on disk.
    /// Blocking: call it off the async threads.
    pub fn get(&self, sha256: &str) -> io::Result<Vec<u8>> {
        let bytes = std::fs::read(self.path(sha256)?)?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("attached file {sha256} changed on disk"),
            ));
        }
        Ok(bytes)
    }
}

impl Blobs {
    /// The files (by SHA-256) last written before `cutoff`, and the temporary files
    /// a crash left behind before it (removed here). Blocking.
    pub fn stored_before(&self, cutoff: std::time::SystemTime) -> io::Result<Vec<String>> {
        let mut found = Vec::new();
        let folders = match std::fs::read_dir(&self.dir) {
            Ok(folders) => folders,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(e),
        };
        for folder in folders {
            let folder = folder?;
            if !folder.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(folder.path())? {
                let file = file?;
                let old = file.metadata()?.modified()? < cutoff;
                let name = file.file_name().to_string_lossy().into_owned();
                if name.starts_with(".tmp-") && old {
                    std::fs::remove_file(file.path())?;
                } else if old && self.path(&name).is_ok() {
                    found.push(name);
                }
            }
        }
        Ok(found)
    }

    /// Removes a stored file. Blocking.
    pub fn remove(&self, sha256: &str) -> io::Result<()> {
        std::fs::remove_file(self.path(sha256)?)
    }
}

/// A new file with a unique name in `folder`.
fn tempfile_in(folder: &Path) -> io::Result<(PathBuf, std::fs::File)> {
    use rand::Rng;
    let name = format!(".tmp-{:016x}", rand::thread_rng().r#gen::<u64>());
    let path = folder.join(name);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_once_by_content_and_checked_when_read() {
        let dir = std::env::temp_dir().join(format!("minsheng-blobs-{}", std::process::id()));
        let blobs = Blobs::new(&dir);
        let a = blobs.put(b"photo").expect("put");
        assert_eq!(blobs.put(b"photo").expect("again"), a);
        assert_eq!(blobs.get(&a).expect("get"), b"photo");
        let path = blobs.path(&a).expect("path");
        assert_eq!(
            std::fs::read_dir(path.parent().expect("folder"))
                .expect("dir")
                .count(),
            1
        );
        std::fs::write(&path, b"tampered").expect("write");
        assert_eq!(
            blobs.get(&a).expect_err("changed").kind(),
            io::ErrorKind::InvalidData
        );
        assert!(blobs.get("../../etc/passwd").is_err());
        assert!(blobs.get(&"0".repeat(64)).is_err());
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}
