//! The data sync configuration: read, preview, save, restore and apply. The configuration pages,
//! the scheduler, the connection page and the backfill service all go through here.
//!
//! A configuration applies to new connections and to backfills only; existing connections keep
//! syncing under the version they run ("drift") until a backfill brings them forward, which
//! [`apply`] queues for exactly what each connection lacks.

pub mod settings;

use super::actor::Author;
use super::audit::Audit;
use super::auth::Viewer;
use super::backfills;
use super::clock::Clock;
use super::service::{ServiceError, ServiceResult};
use super::store::sync::NewSyncRun;
use super::store::sync_config::{BehindConnectionRow, SyncConfigVersionRow, VersionCount};
use super::store::{Scope, Store};
use crate::domain::{platform, AuditAction, IntegrationType, Role, SyncRunKind, TriggerKind};
use crate::ids::{make_id, prefix};
use settings::{diff, objects_to_backfill, Change, FieldError, SettingsForm, SyncSettings};

const MONTH_MS: i64 = 30 * 86_400_000;
/// Connections one "apply" covers (one backfill's limit).
pub const MAX_APPLY: usize = super::backfills::MAX_CONNECTIONS;

/// Whether this viewer may change the configuration, and if not, why (shown beside the
/// read-only form). Only the organization's owners and admins may: staff read it.
pub fn may_edit(viewer: &Viewer) -> Result<(), String> {
    match viewer.role {
        Some(Role::Owner | Role::Admin) => Ok(()),
        Some(Role::Developer | Role::Viewer) => Err(
            "Only owners and admins change the data sync configuration: ask one of them, or read it here."
                .into(),
        ),
        None if viewer.is_staff() => {
            Err("Staff read an organization's configuration but do not change it: its owners and admins do."
                .into())
        }
        None => Err("You cannot change this organization's configuration.".into()),
    }
}

/// Staff reading another organization's configuration leave a trace first.
pub async fn audit_staff_view(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    what: &str,
) -> ServiceResult<()> {
    if viewer.role.is_some() || !viewer.is_staff() {
        return Ok(());
    }
    let entry = Audit::new(AuditAction::StaffViewSyncConfig, "sync_config", what, clock.now_ms())
        .by_viewer(viewer)
        .details(serde_json::json!({"environment": viewer.environment.as_str()}));
    super::audit::record(store, entry).await?;
    Ok(())
}

/// A version with its settings read.
#[derive(Debug, Clone)]
pub struct Version {
    pub row: SyncConfigVersionRow,
    pub settings: SyncSettings,
}

impl Version {
    fn new(row: SyncConfigVersionRow) -> Self {
        let settings = SyncSettings::from_stored_text(row.integration_type, &row.settings);
        Version { row, settings }
    }
}

/// The newest version. Every environment is created with version 1 of each type; one without
/// any (an organization created before configurations existed) reads as the defaults at 0.
pub async fn current(store: &dyn Store, scope: &Scope, it: IntegrationType) -> ServiceResult<Version> {
    let rows = store.sync_config_versions(scope, it, None, 1).await?;
    Ok(rows.into_iter().next().map(Version::new).unwrap_or_else(|| Version {
        row: SyncConfigVersionRow {
            id: String::new(),
            organization_id: scope.organization_id.clone(),
            environment: scope.environment.clone(),
            integration_type: it,
            version: 0,
            settings: String::new(),
            diff: "[]".into(),
            author_user_id: None,
            author_email: None,
            comment: String::new(),
            restored_from: None,
            created_at: 0,
        },
        settings: SyncSettings::default_for(it),
    }))
}

pub async fn version(
    store: &dyn Store,
    scope: &Scope,
    it: IntegrationType,
    v: i64,
) -> ServiceResult<Version> {
    store.sync_config_at(scope, it, v).await?.map(Version::new).ok_or_else(|| {
        ServiceError::not_found(format!("The {} configuration has no version {v}.", it.as_str()))
    })
}

/// The settings of version `v`: version 0 (before any was saved) and a version that does not
/// exist read as the defaults.
async fn settings_at(
    store: &dyn Store,
    scope: &Scope,
    it: IntegrationType,
    v: i64,
) -> ServiceResult<SyncSettings> {
    Ok(match store.sync_config_at(scope, it, v).await? {
        Some(r) => SyncSettings::from_stored_text(it, &r.settings),
        None => SyncSettings::default_for(it),
    })
}

/// One page of the history, newest first, each with its changes from the version before it.
pub async fn history(
    store: &dyn Store,
    scope: &Scope,
    it: IntegrationType,
    before: Option<i64>,
    limit: i64,
) -> ServiceResult<Vec<(Version, Vec<Change>)>> {
    // One more than the page, so the oldest row of the page has its predecessor to diff with.
    let rows = store.sync_config_versions(scope, it, before, limit + 1).await?;
    let versions: Vec<Version> = rows.into_iter().map(Version::new).collect();
    let mut out = vec![];
    for (i, v) in versions.iter().enumerate().take(limit as usize) {
        let changes = match versions.get(i + 1) {
            Some(prev) => diff(it, &prev.settings, &v.settings),
            None if v.row.version > 1 => {
                let prev = version(store, scope, it, v.row.version - 1).await?;
                diff(it, &prev.settings, &v.settings)
            }
            None => vec![],
        };
        out.push((v.clone(), changes));
    }
    Ok(out)
}

/// Connections of the type by platform: how many run the current version and how many an
/// older one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub current_version: i64,
    /// Platform id, connections on the current version, connections behind it.
    pub by_platform: Vec<(&'static str, i64, i64)>,
}

impl Drift {
    pub fn behind(&self) -> i64 {
        self.by_platform.iter().map(|p| p.2).sum()
    }
    pub fn total(&self) -> i64 {
        self.by_platform.iter().map(|p| p.1 + p.2).sum()
    }
}

pub async fn drift(
    store: &dyn Store,
    scope: &Scope,
    it: IntegrationType,
    current_version: i64,
) -> ServiceResult<Drift> {
    let counts: Vec<VersionCount> = store.connection_versions(scope, it).await?;
    let by_platform = settings::platforms_of(it)
        .map(|spec| {
            let of = counts.iter().filter(|c| c.platform_id == spec.id);
            let (mut on, mut behind) = (0, 0);
            for c in of {
                if c.config_version >= current_version {
                    on += c.connections;
                } else {
                    behind += c.connections;
                }
            }
            (spec.id, on, behind)
        })
        .collect();
    Ok(Drift { current_version, by_platform })
}

/// What saving would do, shown before the save.
#[derive(Debug, Clone)]
pub struct Preview {
    pub settings: SyncSettings,
    pub changes: Vec<Change>,
    /// Existing connections that stay on their version, by platform id (all of them: a change
    /// applies to new connections and backfills).
    pub staying: Vec<(&'static str, i64)>,
    /// An object just enabled and the platforms that do not offer it.
    pub unsupported: Vec<(String, Vec<&'static str>)>,
}

/// Someone saved after the version this edit started from.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub base: i64,
    pub current: Version,
    /// What the versions saved since `base` changed, together.
    pub changes: Vec<Change>,
}

impl Conflict {
    pub fn message(&self) -> String {
        let who = self.current.row.author_email.clone().unwrap_or_else(|| "someone".into());
        let what = if self.changes.is_empty() {
            "it changed nothing you can see".to_string()
        } else {
            self.changes.iter().map(|c| c.text.clone()).collect::<Vec<_>>().join("; ")
        };
        format!(
            "Not saved: {who} saved version {} while you were editing version {}. Their changes: {what}. Your changes are kept, on top of version {}: preview them and save again.",
            self.current.row.version, self.base, self.current.row.version
        )
    }
}

#[derive(Debug)]
pub enum EditError {
    Invalid(Vec<FieldError>),
    Conflict(Box<Conflict>),
    Other(ServiceError),
}

impl From<ServiceError> for EditError {
    fn from(e: ServiceError) -> Self {
        EditError::Other(e)
    }
}

impl From<super::store::StoreError> for EditError {
    fn from(e: super::store::StoreError) -> Self {
        EditError::Other(e.into())
    }
}

impl From<EditError> for ServiceError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::Invalid(errors) => {
                ServiceError::invalid(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" "))
            }
            EditError::Conflict(c) => ServiceError::Conflict(c.message()),
            EditError::Other(e) => e,
        }
    }
}

/// The newest version, if `base` still is it; else the conflict with what was saved since.
pub async fn check_base(
    store: &dyn Store,
    scope: &Scope,
    it: IntegrationType,
    base: i64,
) -> Result<Version, EditError> {
    let cur = current(store, scope, it).await?;
    if base > cur.row.version || base < 0 {
        return Err(EditError::Other(ServiceError::invalid(format!(
            "The {} configuration has no version {base}; reload the page to edit version {}.",
            it.as_str(),
            cur.row.version
        ))));
    }
    if base < cur.row.version {
        let changes = diff(it, &settings_at(store, scope, it, base).await?, &cur.settings);
        return Err(EditError::Conflict(Box::new(Conflict { base, current: cur, changes })));
    }
    Ok(cur)
}

/// After a conflict: the person's form with their changes applied onto the newest version (see
/// [`settings::rebase`]). A form that does not validate is kept exactly as typed.
pub async fn rebase_form(
    store: &dyn Store,
    scope: &Scope,
    it: IntegrationType,
    conflict: &Conflict,
    form: &SettingsForm,
) -> ServiceResult<SettingsForm> {
    let Ok(mine) = form.validate(it) else { return Ok(form.clone()) };
    let base = settings_at(store, scope, it, conflict.base).await?;
    Ok(SettingsForm::from_settings(&settings::rebase(&base, &mine, &conflict.current.settings)))
}

/// Validates an edit of version `base` and works out its diff and impact, writing nothing.
pub async fn preview(
    store: &dyn Store,
    scope: &Scope,
    it: IntegrationType,
    base: i64,
    form: &SettingsForm,
) -> Result<Preview, EditError> {
    let settings = form.validate(it).map_err(EditError::Invalid)?;
    let cur = check_base(store, scope, it, base).await?;
    let changes = diff(it, &cur.settings, &settings);
    let counts = drift(store, scope, it, i64::MAX).await?;
    let staying = counts.by_platform.iter().filter(|p| p.2 > 0).map(|p| (p.0, p.2)).collect();
    let unsupported = changes
        .iter()
        .filter_map(|c| {
            let o = c.path.strip_prefix("objects.")?.strip_suffix(".enabled")?;
            (c.after == "on").then_some(o)
        })
        .filter_map(|o| {
            let lacking: Vec<&'static str> = settings::platforms_of(it)
                .filter(|p| p.unsupported_objects.contains(&o))
                .map(|p| p.name)
                .collect();
            (!lacking.is_empty()).then(|| (o.to_string(), lacking))
        })
        .collect();
    Ok(Preview { settings, changes, staying, unsupported })
}

pub fn comment_error(comment: &str) -> Option<FieldError> {
    let n = comment.trim().chars().count();
    let message = if n == 0 {
        "Comment: say why this changes (it is shown in the history and the audit log)."
    } else if n > 500 {
        "Comment: keep it under 500 characters."
    } else if let Err(e) = crate::domain::check_text("Comment", comment) {
        return Some(FieldError { field: "comment".into(), message: e.to_string() });
    } else {
        return None;
    };
    Some(FieldError { field: "comment".into(), message: message.into() })
}

/// Saves an edit of version `base` as the next version. Refused when someone saved since.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    scope: &Scope,
    it: IntegrationType,
    base: i64,
    form: &SettingsForm,
    comment: &str,
) -> Result<i64, EditError> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let mut invalid = match form.validate(it) {
        Ok(_) => vec![],
        Err(e) => e,
    };
    invalid.extend(comment_error(comment));
    if !invalid.is_empty() {
        return Err(EditError::Invalid(invalid));
    }
    let p = preview(store, scope, it, base, form).await?;
    if p.changes.is_empty() {
        return Err(EditError::Invalid(vec![FieldError {
            field: "objects".into(),
            message: format!(
                "Nothing changed: this is version {base} as it is. Change a setting, then save."
            ),
        }]));
    }
    write_version(store, clock, viewer, scope, it, base, &p.settings, &p.changes, comment.trim(), None).await
}

#[allow(clippy::too_many_arguments)]
async fn write_version(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    scope: &Scope,
    it: IntegrationType,
    base: i64,
    settings: &SyncSettings,
    changes: &[Change],
    comment: &str,
    restored_from: Option<i64>,
) -> Result<i64, EditError> {
    let now = clock.now_ms();
    let id = make_id(prefix::SYNC_CONFIG, now, rand::random());
    let row = SyncConfigVersionRow {
        id: id.clone(),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        integration_type: it,
        version: base + 1,
        settings: settings.to_json(),
        diff: serde_json::to_string(changes).unwrap_or_else(|_| "[]".into()),
        author_user_id: Some(viewer.user_id.clone()),
        author_email: Some(viewer.email.clone()),
        comment: comment.to_string(),
        restored_from,
        created_at: now,
    };
    let entry = Audit::new(
        if restored_from.is_some() { AuditAction::SyncConfigRestore } else { AuditAction::SyncConfigSave },
        "sync_config",
        &id,
        clock.now_ms(),
    )
    .by(&Author::person(viewer))
    .of_organization(&scope.organization_id)
    .details(serde_json::json!({
        "environment": scope.environment,
        "integration_type": it.as_str(),
        "version": base + 1,
        "restored_from": restored_from,
        "comment": comment,
        "changes": changes.iter().map(|c| &c.text).collect::<Vec<_>>(),
    }))
    .entry();
    if store.save_sync_config(&row, base, &entry).await? {
        Ok(base + 1)
    } else {
        // Lost the race between the check and the insert: report what the winner changed.
        match check_base(store, scope, it, base).await {
            Err(e) => Err(e),
            Ok(_) => {
                Err(EditError::Other(ServiceError::Internal("a platform missing from the catalog".into())))
            }
        }
    }
}

/// Saves a new version equal to version `from`; history is never rewritten. `base` is the
/// version the person saw as current, so a restore over someone's newer save is refused too.
#[allow(clippy::too_many_arguments)]
pub async fn restore(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    scope: &Scope,
    it: IntegrationType,
    from: i64,
    base: i64,
) -> Result<i64, EditError> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let old = version(store, scope, it, from).await?;
    let cur = check_base(store, scope, it, base).await?;
    let changes = diff(it, &cur.settings, &old.settings);
    if changes.is_empty() {
        return Err(EditError::Other(ServiceError::invalid(format!(
            "Version {from} has the same settings as the current version {base}: nothing to restore."
        ))));
    }
    let comment = format!("Restored version {from}");
    write_version(store, clock, viewer, scope, it, base, &old.settings, &changes, &comment, Some(from)).await
}

/// A connection behind the current version and what bringing it forward fetches.
#[derive(Debug, Clone)]
pub struct BehindConnection {
    pub row: BehindConnectionRow,
    pub objects: Vec<&'static str>,
}

impl BehindConnection {
    /// Its part of the apply backfill: it lacks something and is not disabled (a disabled
    /// connection cannot be backfilled and stays behind, its row saying so).
    pub fn fetches(&self) -> bool {
        !self.objects.is_empty() && self.row.connection.status != crate::domain::ConnectionStatus::Disabled
    }

    /// It lacks nothing: it moves to the current version at once.
    pub fn moves_at_once(&self) -> bool {
        self.objects.is_empty()
    }
}

/// What "apply to existing connections" will do.
#[derive(Debug, Clone)]
pub struct ApplyPlan {
    pub current: Version,
    pub connections: Vec<BehindConnection>,
    /// More connections are behind than one apply covers.
    pub truncated: bool,
    pub range_from: i64,
    pub range_to: i64,
}

impl ApplyPlan {
    pub fn runs(&self) -> usize {
        self.connections.iter().map(|c| c.objects.len()).sum()
    }
}

/// The connections behind the current version (all of them, or those of `only`), each with the
/// objects to fetch: what its version lacks of the current one, over the configured lookback.
pub async fn apply_plan(
    store: &dyn Store,
    clock: &dyn Clock,
    scope: &Scope,
    it: IntegrationType,
    only: &[String],
) -> ServiceResult<ApplyPlan> {
    let cur = current(store, scope, it).await?;
    let rows = store.behind_connections(scope, it, cur.row.version, None, MAX_APPLY as i64 + 1).await?;
    let truncated = rows.len() > MAX_APPLY;
    let mut old: std::collections::HashMap<i64, SyncSettings> = Default::default();
    let mut connections = vec![];
    for row in rows.into_iter().take(MAX_APPLY) {
        if !only.is_empty() && !only.contains(&row.connection.id) {
            continue;
        }
        let v = row.connection.config_version;
        if let std::collections::hash_map::Entry::Vacant(e) = old.entry(v) {
            e.insert(settings_at(store, scope, it, v).await?);
        }
        let Some(spec) = platform(&row.connection.platform_id) else { continue };
        let objects = objects_to_backfill(spec, &old[&v], &cur.settings);
        connections.push(BehindConnection { row, objects });
    }
    if !only.is_empty() {
        if let Some(missing) = only.iter().find(|id| !connections.iter().any(|c| &c.row.connection.id == *id))
        {
            return Err(ServiceError::invalid(format!(
                "Connection {missing} is not behind the current {} configuration (or is not in this environment).",
                it.as_str()
            )));
        }
    }
    let now = clock.now_ms();
    Ok(ApplyPlan {
        range_from: now - cur.settings.history_months * MONTH_MS,
        range_to: now,
        current: cur,
        connections,
        truncated,
    })
}

/// The outcome of an apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub backfill_id: Option<String>,
    pub runs: usize,
    /// Connections moved at once: their version lacked nothing the current one fetches.
    pub moved: u64,
}

/// Queues one backfill bringing the chosen behind connections (all when `only` is empty) to the
/// current version. Connections that need nothing fetched move at once; the others move as
/// their part of the backfill succeeds (the worker does that).
pub async fn apply(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    scope: &Scope,
    it: IntegrationType,
    only: &[String],
    submission_key: &str,
) -> ServiceResult<Applied> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let key = submission_key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(ServiceError::invalid(
            "The form is missing its submission key; reload the page and try again.",
        ));
    }
    let plan = apply_plan(store, clock, scope, it, only).await?;
    if plan.connections.is_empty() {
        return Err(ServiceError::invalid(format!(
            "No {} connection is behind version {}: nothing to apply.",
            it.as_str(),
            plan.current.row.version
        )));
    }
    let now = clock.now_ms();
    let version = plan.current.row.version;
    let fetch: Vec<&BehindConnection> = plan.connections.iter().filter(|c| c.fetches()).collect();
    let moved_ids: Vec<String> =
        plan.connections.iter().filter(|c| c.moves_at_once()).map(|c| c.row.connection.id.clone()).collect();
    if fetch.is_empty() && moved_ids.is_empty() {
        return Err(ServiceError::invalid(
            "The chosen connections are disabled: re-enable them before applying the configuration to them.",
        ));
    }
    let mut result = Applied { backfill_id: None, runs: 0, moved: 0 };
    let details = |backfill: Option<&str>, runs: usize| {
        serde_json::json!({
            "environment": scope.environment,
            "integration_type": it.as_str(),
            "version": version,
            "backfill": backfill,
            "runs": runs,
            "connections": fetch.iter().map(|c| &c.row.connection.id).collect::<Vec<_>>(),
            "moved": moved_ids,
        })
    };
    if !fetch.is_empty() {
        let mut objects: Vec<&str> = vec![];
        let mut runs = vec![];
        for c in &fetch {
            let conn = &c.row.connection;
            for o in &c.objects {
                if !objects.contains(o) {
                    objects.push(o);
                }
                runs.push(
                    NewSyncRun::new(&conn.into(), o, SyncRunKind::Backfill, TriggerKind::Backfill, now)
                        .over(plan.range_from, plan.range_to),
                );
            }
        }
        objects.sort_by_key(|o| it.data_objects().iter().position(|x| x == o));
        let run_count = runs.len();
        let queued = backfills::Queued {
            runs,
            data_objects: objects.iter().map(|o| o.to_string()).collect(),
            connection_ids: fetch.iter().map(|c| c.row.connection.id.clone()).collect(),
            range_from: plan.range_from,
            range_to: plan.range_to,
            config_version: version,
            reason: Some(format!(
                "Apply {} configuration version {version} to existing connections",
                it.as_str()
            )),
            action: AuditAction::SyncConfigApply,
            // Written with the backfill: an apply is stored whole or not at all.
            move_at_once: moved_ids.clone(),
        };
        let author = Author::person(viewer);
        let (bid, created) =
            backfills::queue(store, clock, &author, scope, key, queued, |id| details(Some(id), run_count))
                .await?;
        result.runs = if created { run_count } else { 0 };
        // Moved in the backfill's transaction (those already at the version stay there).
        result.moved = if created { moved_ids.len() as u64 } else { 0 };
        result.backfill_id = Some(bid);
        // Done, or this form was already submitted and that apply did it all.
        return Ok(result);
    }
    if !moved_ids.is_empty() {
        let entry = fetch.is_empty().then(|| {
            Audit::new(AuditAction::SyncConfigApply, "sync_config", &plan.current.row.id, clock.now_ms())
                .by(&Author::person(viewer))
                .of_organization(&scope.organization_id)
                .details(details(None, 0))
                .entry()
        });
        result.moved = store.move_connections_to_version(scope, &moved_ids, version, entry.as_ref()).await?;
    }
    Ok(result)
}

/// The configuration a connection syncs under: its version's settings for its platform, the
/// current version, and when it is behind after a failed apply, why.
pub struct ConnectionConfig {
    pub version: i64,
    pub current_version: i64,
    pub effective: settings::Effective,
    pub failed_apply: Option<(String, Option<String>)>,
}

pub async fn for_connection(
    store: &dyn Store,
    scope: &Scope,
    connection: &super::store::ConnectionRow,
) -> ServiceResult<ConnectionConfig> {
    let spec = platform(&connection.platform_id)
        .ok_or(ServiceError::Internal("a platform missing from the catalog".into()))?;
    let it = spec.integration_type;
    let cur = current(store, scope, it).await?;
    let own = match store.sync_config_at(scope, it, connection.config_version).await? {
        Some(r) => SyncSettings::from_stored_text(it, &r.settings),
        None => cur.settings.clone(),
    };
    let failed_apply = if connection.config_version < cur.row.version {
        store
            .behind_connections(scope, it, cur.row.version, Some(&connection.id), 1)
            .await?
            .into_iter()
            .next()
            .and_then(|b| b.failed_backfill.map(|id| (id, b.failure)))
    } else {
        None
    };
    Ok(ConnectionConfig {
        version: connection.config_version,
        current_version: cur.row.version,
        effective: own.effective(spec),
        failed_apply,
    })
}
