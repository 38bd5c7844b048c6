//! Open311 GeoReport v2: the county's categories as services, requests posted by a
//! city's app or a partner platform with an API key (registered like every appeal),
//! and the published requests anyone may read (never who raised them).

use chrono::{DateTime, Duration, Utc};
use minsheng_core::category::Category;
use minsheng_core::i18n::Lang;
use minsheng_core::intake::{AppealForm, FieldError, FieldErrors, Origin};
use minsheng_core::open311::{Status, is_published};
use minsheng_core::region::RegionLevel;
use minsheng_core::workflow::{Actor, Track};
use minsheng_core::{AppealKind, AppealNo, RegionCode, TrackingCode, mask, place};
use minsheng_store::{ApiKey, Receipt, RequestQuery};
use rand::RngCore;

use crate::cases::Intake;
use crate::routing::require_admin_over;
use crate::sessions::token_hash;
use crate::{App, Error, Result};

/// What every Open311 key starts with, so a leaked one is easy to recognise.
pub const KEY_PREFIX: &str = "msk_";

/// The longest name of a key, in characters.
const MAX_NAME_CHARS: usize = 100;

/// The widest window of receipt dates one query may ask for, and the default one.
pub const MAX_WINDOW_DAYS: i64 = 90;

/// The most requests one query answers (and the default).
pub const MAX_REQUESTS: i64 = 1000;

/// A request as an Open311 client posts it, already read from the form.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequest {
    /// The service (our category code).
    pub service_code: String,
    /// Where (WGS-84).
    pub lat: Option<f64>,
    /// See `lat`.
    pub long: Option<f64>,
    /// A street address as written.
    pub address_string: String,
    /// Our region code, or a village's name.
    pub address_id: String,
    /// `attribute[CODE]` (and `attribute[CODE][]`) values, in the order sent.
    pub attributes: Vec<(String, Vec<String>)>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Phone.
    pub phone: String,
    /// What is wrong.
    pub description: String,
    /// A picture somewhere on the web.
    pub media_url: String,
    /// Files sent with it (`media`).
    pub files: Vec<crate::attachments::Upload>,
}

/// How a request was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// By the region code or village name it gave.
    Named,
    /// By its point, in the nearest village.
    Point,
    /// By the village its address names.
    Address,
    /// Nowhere: the dispatch centre places it.
    Unplaced,
}

/// Which published requests a client asks for.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only these numbers (then every other filter is ignored, as the standard says).
    pub ids: Vec<String>,
    /// Only these services (none: any).
    pub service_codes: Vec<String>,
    /// Received from.
    pub start: Option<DateTime<Utc>>,
    /// Received until.
    pub end: Option<DateTime<Utc>>,
    /// Only open or only closed.
    pub status: Option<Status>,
}

/// Why a filter cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// `start_date` after `end_date`.
    Backwards,
    /// More than [`MAX_WINDOW_DAYS`] between them.
    TooWide,
}

/// A request as anyone may read it: nothing about who raised it, and long numbers in
/// what was said hidden.
#[derive(Debug, Clone)]
pub struct Published {
    /// The appeal number.
    pub no: AppealNo,
    /// Open or closed.
    pub status: Status,
    /// Where it stands, in words.
    pub status_notes: String,
    /// The service's name.
    pub service_name: String,
    /// The service (category) code.
    pub service_code: String,
    /// What was said, long numbers hidden.
    pub description: String,
    /// The unit handling it.
    pub agency_responsible: Option<String>,
    /// Received.
    pub requested: DateTime<Utc>,
    /// Last changed.
    pub updated: DateTime<Utc>,
    /// When the unit owes its next step, while open.
    pub expected: Option<DateTime<Utc>>,
    /// Where exactly, long numbers hidden.
    pub address: Option<String>,
    /// Where (latitude, longitude).
    pub location: Option<(f64, f64)>,
    /// Its first image (served without metadata), if any.
    pub media_id: Option<i64>,
}

/// How a client's `media_url` is kept in the appeal's text, for staff.
const MEDIA_URL_MARK: &str = "[media_url] ";

/// What of an appeal's text is published: without the links clients sent (a link is
/// theirs to show staff, not the county's to publish).
fn public_text(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with(MEDIA_URL_MARK))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
}

impl App {
    /// Makes an Open311 key named `name` (the app or platform it is for); a county
    /// administrator's task (or the operator's on the command line). Returns the key
    /// as listed and the key itself, shown only now.
    pub async fn create_api_key(
        &self,
        actor: Option<&Actor>,
        name: &str,
    ) -> Result<(ApiKey, String)> {
        self.require_county_admin(actor).await?;
        let name = minsheng_core::intake::clean_text(name);
        if name.is_empty() {
            return Err(Error::Invalid(FieldErrors(vec![(
                "name",
                FieldError::Required,
            )])));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(Error::Invalid(FieldErrors(vec![(
                "name",
                FieldError::TooLong(MAX_NAME_CHARS),
            )])));
        }
        let mut raw = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let key = format!("{KEY_PREFIX}{}", hex::encode(raw));
        let prefix = &key[..KEY_PREFIX.len() + 6];
        let id = self
            .store
            .create_api_key(&name, &token_hash(&key), prefix, actor.map(|a| a.id))
            .await?;
        tracing::info!(key_id = id, "Open311 API key created");
        Ok((self.listed_key(id).await?, key))
    }

    /// A key as listed.
    async fn listed_key(&self, id: i64) -> Result<ApiKey> {
        let keys = self.store.api_keys().await?;
        keys.into_iter().find(|k| k.id == id).ok_or(Error::NotFound)
    }

    /// Every Open311 key, newest first (county administrators).
    pub async fn api_key_list(&self, actor: Option<&Actor>) -> Result<Vec<ApiKey>> {
        self.require_county_admin(actor).await?;
        Ok(self.store.api_keys().await?)
    }

    /// Revokes an Open311 key (county administrators).
    pub async fn revoke_api_key(&self, actor: Option<&Actor>, id: i64) -> Result<ApiKey> {
        self.require_county_admin(actor).await?;
        self.store.revoke_api_key(id, actor.map(|a| a.id)).await?;
        tracing::info!(key_id = id, "Open311 API key revoked");
        self.listed_key(id).await
    }

    /// The live key `key` is, if it is one.
    pub async fn api_key(&self, key: &str) -> Result<Option<ApiKey>> {
        let key = key.trim();
        if !key.starts_with(KEY_PREFIX) || key.len() > 200 {
            return Ok(None);
        }
        Ok(self
            .store
            .api_key_by_hash(&token_hash(key), minsheng_store::now())
            .await?)
    }

    async fn require_county_admin(&self, actor: Option<&Actor>) -> Result<()> {
        let Some(actor) = actor else { return Ok(()) };
        let county = self.store.county().await?.ok_or(Error::NotFound)?;
        require_admin_over(actor, &county.code)
    }

    /// The services: every category citizens are offered, in the catalogue's order.
    pub async fn services(&self) -> Result<Vec<Category>> {
        let all = &self.directory().await?.categories;
        Ok(all
            .iter()
            .filter(|c| c.offered_publicly(all))
            .cloned()
            .collect())
    }

    /// Places a request: by the region code or village name it gives, else by its
    /// point (the nearest village within reach), else by the village its address
    /// names, else nowhere (the county; the dispatch centre places it).
    pub async fn place_request(&self, request: &ServiceRequest) -> Result<(RegionCode, Placed)> {
        let directory = self.directory().await?;
        let live: Vec<_> = directory.regions.iter().filter(|r| !r.retired).collect();
        let county = directory.county.clone().ok_or(Error::NotFound)?;
        let id = request.address_id.trim();
        if !id.is_empty() {
            let named = match RegionCode::parse(id) {
                Ok(code) => self.place_named(code.as_str(), "", "").await?,
                Err(_) => self.place_named("", "", id).await?,
            };
            if let Some(code) = named.filter(|c| c.level() == RegionLevel::Village) {
                return Ok((code, Placed::Named));
            }
        }
        if let (Some(lat), Some(long)) = (request.lat, request.long) {
            let villages: Vec<_> = live
                .iter()
                .filter(|r| r.region.level() == RegionLevel::Village)
                .filter_map(|r| r.centroid.map(|c| (r.region.code.clone(), c)))
                .collect();
            if let Some(code) = place::nearest_village(&villages, (lat, long)) {
                return Ok((code, Placed::Point));
            }
        }
        let regions: Vec<_> = live.iter().map(|r| r.region.clone()).collect();
        if let Some(code) = place::village_in_text(&regions, &request.address_string) {
            return Ok((code, Placed::Address));
        }
        Ok((county, Placed::Unplaced))
    }

    /// Registers a request posted with `key`, through the same pipeline as every
    /// appeal. The caller has checked that some location was given.
    pub async fn submit_request(
        &self,
        key: &ApiKey,
        mut request: ServiceRequest,
    ) -> Result<(Receipt, Placed)> {
        let services = self.services().await?;
        let Some(service_name) = services
            .iter()
            .find(|c| c.code == request.service_code.trim())
            .map(|c| c.name.clone())
        else {
            return Err(Error::Invalid(FieldErrors(vec![(
                "category",
                FieldError::UnknownChoice,
            )])));
        };
        let (region, placed) = self.place_request(&request).await?;
        let mut text = request.description.trim().to_owned();
        if text.is_empty() {
            // The standard lets a request come without words; the service says what.
            text = service_name;
        }
        let media = request.media_url.trim();
        if !media.is_empty() {
            let media = minsheng_core::intake::check_url(media)
                .map_err(|e| Error::Invalid(FieldErrors(vec![("media_url", e)])))?;
            text.push_str(&format!("\n\n{MEDIA_URL_MARK}{media}"));
        }
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let (first, last) = (request.first_name.trim(), request.last_name.trim());
        // 张 + 三 is 张三; John + Smith is John Smith.
        let name = match (first, last) {
            ("", l) => l.to_owned(),
            (f, "") => f.to_owned(),
            (f, l) if cjk(f) || cjk(l) => format!("{l}{f}"),
            (f, l) => format!("{f} {l}"),
        };
        let anonymous = name.is_empty() && request.phone.trim().is_empty();
        let form = AppealForm {
            category: request.service_code.trim().to_owned(),
            township: region
                .parent()
                .filter(|_| region.level() == RegionLevel::Village)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            village: region.to_string(),
            address: request.address_string.clone(),
            text,
            name,
            phone: request.phone.clone(),
            anonymous: if anonymous {
                "on".into()
            } else {
                String::new()
            },
            submission_key: format!("o311-{:032x}", rand::random::<u128>()),
            answers: request.attributes.clone(),
            ..AppealForm::default()
        };
        let intake = Intake {
            lat: request.lat,
            long: request.long,
            api_key_id: Some(key.id),
            asks_extra_fields: true,
            may_be_unplaced: true,
            files: std::mem::take(&mut request.files),
            ..Intake::default()
        };
        let done = self
            .register_with(&form, Origin::Open311, None, intake)
            .await?;
        tracing::info!(appeal = %done.receipt.no, key_id = key.id, ?placed, "Open311 request registered");
        Ok((done.receipt, placed))
    }

    /// The published requests a filter asks for, newest first: by number (any age),
    /// else within a window of receipt dates of at most 90 days (the last 90 by
    /// default), at most [`MAX_REQUESTS`].
    pub async fn published_requests(
        &self,
        filter: &RequestFilter,
        lang: Lang,
    ) -> Result<std::result::Result<Vec<Published>, FilterError>> {
        let services = self.services().await?;
        let mut query = RequestQuery {
            kinds: AppealKind::ALL
                .iter()
                .copied()
                .filter(|k| is_published(*k, Track::WorkOrder, true))
                .collect(),
            track: Some(Track::WorkOrder),
            // Public categories whose requests the county publishes.
            categories: services
                .iter()
                .filter(|c| c.published)
                .map(|c| c.code.clone())
                .collect(),
            limit: MAX_REQUESTS,
            ..RequestQuery::default()
        };
        if filter.ids.is_empty() {
            let end = filter.end.unwrap_or_else(minsheng_store::now);
            let start = filter
                .start
                .unwrap_or_else(|| end - Duration::days(MAX_WINDOW_DAYS));
            if start > end {
                return Ok(Err(FilterError::Backwards));
            }
            if end - start > Duration::days(MAX_WINDOW_DAYS) {
                return Ok(Err(FilterError::TooWide));
            }
            query.received_from = Some(start);
            query.received_until = Some(end);
            if !filter.service_codes.is_empty() {
                query
                    .categories
                    .retain(|c| filter.service_codes.contains(c));
            }
            query.states = filter.status.map(Status::states).unwrap_or_default();
        } else {
            query.numbers = filter
                .ids
                .iter()
                .filter_map(|id| AppealNo::parse(id).ok())
                .collect();
            if query.numbers.is_empty() {
                return Ok(Ok(Vec::new()));
            }
        }
        let units = &self.directory().await?.units;
        let rows = self.store.published_requests(&query).await?;
        Ok(Ok(rows
            .into_iter()
            .filter(|r| {
                let public = services.iter().any(|c| c.code == r.category && c.published);
                is_published(r.kind, r.track, public)
            })
            .map(|r| {
                let status = Status::of(r.status);
                Published {
                    status,
                    status_notes: r.status.public_label(lang).to_owned(),
                    service_name: services
                        .iter()
                        .find(|c| c.code == r.category)
                        .map(|c| c.label(lang).to_owned())
                        .unwrap_or_default(),
                    service_code: r.category,
                    description: mask::numbers_in_text(&public_text(&r.text)),
                    agency_responsible: r
                        .handler_unit_id
                        .and_then(|id| units.iter().find(|u| u.id == id))
                        .map(|u| u.name.clone()),
                    requested: r.received_at,
                    updated: r.updated_at,
                    expected: r.due_at.filter(|_| status == Status::Open),
                    address: r.address.as_deref().map(mask::numbers_in_text),
                    location: r.location,
                    media_id: r.media_id,
                    no: r.no,
                }
            })
            .collect()))
    }

    /// The number of the appeal a token (its tracking code) stands for.
    pub async fn request_of_token(&self, token: &str) -> Result<AppealNo> {
        let code = TrackingCode::parse(token).map_err(|_| Error::NotFound)?;
        Ok(self.store.public_view(&code).await?.no)
    }
}
