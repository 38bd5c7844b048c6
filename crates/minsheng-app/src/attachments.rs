//! Files attached to appeals: checked by their content, stored content-addressed on
//! disk before the appeal that names them, read back only by staff allowed to see the
//! appeal, and shown to the public (an Open311 request's media) only as an image of a
//! published request, without its metadata.

use std::path::PathBuf;

use minsheng_core::AppealNo;
use minsheng_core::appeal::Attachment;
use minsheng_core::attachment::{self, FileKind, Limits};
use minsheng_core::intake::{FieldError, FieldErrors};
use minsheng_core::staff::Scope;
use minsheng_store::{AttachedFile, Blobs};

use crate::{App, Error, Result};

/// A file as a surface received it.
#[derive(Clone)]
pub struct Upload {
    /// The name it was sent with.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    // The content may be a scanned ID card: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Upload({} bytes)", self.bytes.len())
    }
}

/// Where files are kept and how many and how large they may be.
#[derive(Debug, Clone)]
pub struct FileRules {
    /// The directory of the files.
    pub blobs: Blobs,
    /// The limits.
    pub limits: Limits,
}

impl Default for FileRules {
    fn default() -> FileRules {
        FileRules {
            blobs: Blobs::new(PathBuf::from("minsheng-files")),
            limits: Limits::default(),
        }
    }
}

/// A file to hand out: what it is and its bytes.
#[derive(Debug)]
pub struct FileOut {
    /// Name, type, size and hash as stored.
    pub file: Attachment,
    /// Its kind.
    pub kind: FileKind,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl App {
    /// The limits on attached files.
    pub fn file_limits(&self) -> Limits {
        self.files.limits
    }

    /// Checks every file by its content and the limits; the errors name `media`.
    pub fn check_uploads(&self, uploads: &[Upload]) -> Result<Vec<FileKind>, FieldErrors> {
        let limits = &self.files.limits;
        if uploads.len() > limits.max_files {
            return Err(FieldErrors(vec![(
                "media",
                FieldError::File(attachment::FileError::TooMany(limits.max_files)),
            )]));
        }
        let mut kinds = Vec::with_capacity(uploads.len());
        let mut errors = Vec::new();
        for upload in uploads {
            match attachment::check(&upload.bytes, limits) {
                Ok(kind) => kinds.push(kind),
                Err(e) => errors.push(("media", FieldError::File(e))),
            }
        }
        // One message per kind of problem is enough on a form.
        errors.dedup();
        if errors.is_empty() {
            Ok(kinds)
        } else {
            Err(FieldErrors(errors))
        }
    }

    /// Stores checked files durably (see [`App::check_uploads`]) and returns what the
    /// appeal records of each.
    pub(crate) async fn store_uploads(
        &self,
        uploads: Vec<Upload>,
        kinds: Vec<FileKind>,
    ) -> Result<Vec<Attachment>> {
        if uploads.is_empty() {
            return Ok(Vec::new());
        }
        let blobs = self.files.blobs.clone();
        tokio::task::spawn_blocking(move || {
            uploads
                .into_iter()
                .zip(kinds)
                .map(|(upload, kind)| {
                    let sha256 = blobs.put(&upload.bytes)?;
                    Ok(Attachment {
                        file_name: attachment::file_name(&upload.name, kind),
                        content_type: kind.content_type().to_owned(),
                        size: upload.bytes.len() as u64,
                        sha256,
                    })
                })
                .collect::<Result<Vec<_>, std::io::Error>>()
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?
        .map_err(|e| Error::Store(e.into()))
    }

    /// One file of an appeal, as stored, for staff whose scope covers the appeal
    /// (anyone else: not found).
    pub async fn attachment_for_staff(
        &self,
        no: &AppealNo,
        id: i64,
        scope: &Scope,
    ) -> Result<FileOut> {
        let detail = self.store.appeal(no, scope).await?;
        let file = detail
            .attachments
            .into_iter()
            .find(|f| f.id == id)
            .ok_or(Error::NotFound)?;
        let (kind, bytes) = self.read_file(&file).await?;
        Ok(FileOut {
            file: file.file,
            kind,
            bytes,
        })
    }

    /// The public picture of a published request: its first image, without metadata.
    pub async fn public_media(&self, no: &AppealNo) -> Result<FileOut> {
        let filter = crate::open311::RequestFilter {
            ids: vec![no.as_str().to_owned()],
            ..Default::default()
        };
        let request = self
            .published_requests(&filter, minsheng_core::Lang::Zh)
            .await?
            .ok()
            .and_then(|mut found| found.pop())
            .ok_or(Error::NotFound)?;
        let file = self
            .store
            .attached_file(request.media_id.ok_or(Error::NotFound)?)
            .await?;
        let (kind, bytes) = self.read_file(&file).await?;
        let clean = attachment::without_metadata(kind, &bytes).ok_or(Error::NotFound)?;
        Ok(FileOut {
            // Not the name it was sent with: that may name the person.
            file: Attachment {
                file_name: format!("{no}.{}", kind.extension()),
                size: clean.len() as u64,
                ..file.file
            },
            kind,
            bytes: clean,
        })
    }

    /// Removes the files no appeal names that were last written before `cutoff`: what
    /// a refused or failed registration left behind (files are written before the
    /// appeal that names them, so a young file may belong to one being committed).
    /// Returns how many went.
    pub async fn remove_stray_files(&self, cutoff: std::time::SystemTime) -> Result<usize> {
        let blobs = self.files.blobs.clone();
        let old = tokio::task::spawn_blocking(move || blobs.stored_before(cutoff))
            .await
            .map_err(|e| Error::Task(e.to_string()))?
            .map_err(|e| Error::Store(e.into()))?;
        let mut removed = 0;
        for chunk in old.chunks(500) {
            let known = self.store.known_file_hashes(chunk).await?;
            let strays: Vec<String> = chunk
                .iter()
                .filter(|h| !known.contains(h))
                .cloned()
                .collect();
            let blobs = self.files.blobs.clone();
            removed += tokio::task::spawn_blocking(move || {
                strays.iter().filter(|h| blobs.remove(h).is_ok()).count()
            })
            .await
            .map_err(|e| Error::Task(e.to_string()))?;
        }
        if removed > 0 {
            tracing::info!(removed, "stray attached files removed");
        }
        Ok(removed)
    }

    async fn read_file(&self, file: &AttachedFile) -> Result<(FileKind, Vec<u8>)> {
        let kind = FileKind::of_content_type(&file.file.content_type).ok_or(Error::NotFound)?;
        let blobs = self.files.blobs.clone();
        let sha256 = file.file.sha256.clone();
        let bytes = tokio::task::spawn_blocking(move || blobs.get(&sha256))
            .await
            .map_err(|e| Error::Task(e.to_string()))?
            .map_err(|e| Error::Store(e.into()))?;
        Ok((kind, bytes))
    }
}
