//! A new backfill in two plain steps: a GET with the choices in the URL shows the review (or
//! what is wrong), and the confirm button posts.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectChoice {
    pub name: String,
    /// Why it cannot be chosen (no chosen connection's platform offers it), if so.
    pub unavailable: Option<String>,
    pub checked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionChoice {
    pub id: String,
    pub name: String,
    pub platform_name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillReview {
    pub runs: usize,
    pub connections: usize,
    pub range_label: String,
    pub skipped: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewBackfillView {
    pub connections: Vec<ConnectionChoice>,
    pub integration_type: Option<String>,
    pub objects: Vec<ObjectChoice>,
    /// `Err(why)` when this viewer may not start backfills.
    pub allowed: Result<(), String>,
    /// The review of the current choices, or what is wrong with them.
    pub review: Option<Result<BackfillReview, AppError>>,
    /// Fresh per page load: a double submit of the confirm form creates one backfill.
    pub submission_key: String,
}

#[cfg(feature = "ssr")]
fn parse_range(range: &str, from: &str, to: &str) -> Result<crate::server::backfills::RangeChoice, AppError> {
    use crate::server::backfills::RangeChoice;
    let parse = |label: &str, v: &str| -> Result<i64, AppError> {
        let v = v.trim();
        chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
            .map(|t| t.and_utc().timestamp_millis())
            .map_err(|_| {
                AppError::invalid(format!(
                    "{label} {v:?} is not a date and time such as 2026-11-01T00:00 (UTC)."
                ))
            })
    };
    match range {
        "" | "full" => Ok(RangeChoice::FullHistory),
        "30d" => Ok(RangeChoice::Last30Days),
        "custom" => {
            if from.trim().is_empty() || to.trim().is_empty() {
                return Err(AppError::invalid("A custom range needs both a start and an end."));
            }
            Ok(RangeChoice::Custom { from_ms: parse("The start", from)?, to_ms: parse("The end", to)? })
        }
        other => Err(AppError::invalid(format!(
            "Unknown range {other:?}: choose full history, last 30 days or custom."
        ))),
    }
}

#[server(input = GetUrl, endpoint = "new_backfill")]
pub async fn new_backfill(
    #[server(default)] connections: String,
    #[server(default)] objects: String,
    #[server(default)] range: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] review: bool,
    #[server(default)] matching: String,
) -> Result<NewBackfillView, AppError> {
    use crate::domain::platform;
    use crate::server::actor::Actor;
    use crate::server::backfills::{self as svc, may_trigger, BackfillRequest};
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let scope = viewer.own_scope();
    let ids = svc::connection_ids(crate::domain::split_list(&connections).iter().map(String::as_str))?;
    let rows = svc::choose(&state, &Actor::Person(viewer.clone()), ids.clone(), &matching).await?;
    // The review covers every id asked for, so one that is not in this environment is reported
    // rather than silently dropped.
    let ids: Vec<String> = ids.into_iter().chain(rows.iter().map(|c| c.id.clone())).collect();
    let chosen_objects = crate::domain::split_list(&objects);
    let specs: Vec<_> = rows.iter().filter_map(|c| platform(&c.platform_id)).collect();
    let integration_type = specs.first().map(|p| p.integration_type);
    // A first visit starts from what the configuration syncs for these connections' platforms:
    // the objects a backfill usually repairs. A submitted choice (even an empty one) is kept.
    let synced: std::collections::BTreeSet<&'static str> = match integration_type {
        Some(it) if chosen_objects.is_empty() && !review => {
            let current = crate::server::sync_config::current(state.store.as_ref(), &scope, it).await?;
            specs
                .iter()
                .flat_map(|p| current.settings.effective(p).synced_objects().collect::<Vec<_>>())
                .collect()
        }
        _ => Default::default(),
    };
    let object_choices = integration_type
        .map(|it| {
            it.data_objects()
                .iter()
                .map(|o| {
                    let offered = specs.iter().filter(|p| p.supported_objects().any(|s| s == *o)).count();
                    let unavailable = (offered == 0).then(|| {
                        let names: Vec<&str> = specs
                            .iter()
                            .map(|p| p.name)
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        format!("{} does not offer it", names.join(" and "))
                    });
                    ObjectChoice {
                        name: o.to_string(),
                        checked: offered > 0 && (chosen_objects.iter().any(|c| c == o) || synced.contains(o)),
                        unavailable,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    // Nothing is worked out for a viewer who may not start backfills: the page says why.
    let review = if review && may_trigger(&viewer).is_ok() {
        let req = BackfillRequest {
            connection_ids: ids.clone(),
            data_objects: chosen_objects.clone(),
            range: match parse_range(&range, &from, &to) {
                Ok(r) => r,
                Err(e) => {
                    return Ok(NewBackfillView {
                        connections: choices(&rows),
                        integration_type: integration_type.map(|t| t.as_str().to_string()),
                        objects: object_choices,
                        allowed: may_trigger(&viewer),
                        review: Some(Err(e)),
                        submission_key: crate::server::auth::random_token(12),
                    })
                }
            },
            reason: None,
            idempotency_key: String::new(),
        };
        Some(
            svc::review(&state, &viewer, &scope, &req)
                .await
                .map(|p| BackfillReview {
                    runs: p.runs.len(),
                    connections: p.connections.len(),
                    range_label: format!(
                        "{} to {}",
                        format_time_utc(p.range_from),
                        format_time_utc(p.range_to)
                    ),
                    skipped: p.skipped,
                })
                .map_err(AppError::from),
        )
    } else {
        None
    };
    Ok(NewBackfillView {
        connections: choices(&rows),
        integration_type: integration_type.map(|t| t.as_str().to_string()),
        objects: object_choices,
        allowed: may_trigger(&viewer),
        review,
        submission_key: crate::server::auth::random_token(12),
    })
}

#[cfg(feature = "ssr")]
fn choices(rows: &[crate::server::store::ConnectionRow]) -> Vec<ConnectionChoice> {
    rows.iter()
        .map(|c| ConnectionChoice {
            id: c.id.clone(),
            name: c.display_name.clone(),
            platform_name: crate::domain::platform(&c.platform_id)
                .map(|p| p.name.to_string())
                .unwrap_or_default(),
            status: c.status.into(),
        })
        .collect()
}

#[server(endpoint = "start_backfill")]
pub async fn start_backfill(
    connections: String,
    #[server(default)] objects: String,
    #[server(default)] range: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] reason: String,
    key: String,
) -> Result<String, AppError> {
    use crate::server::backfills::{connection_ids, create, BackfillRequest};
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let req = BackfillRequest {
        connection_ids: connection_ids(crate::domain::split_list(&connections).iter().map(String::as_str))?,
        data_objects: crate::domain::split_list(&objects),
        range: parse_range(&range, &from, &to)?,
        reason: Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
        idempotency_key: key,
    };
    let (id, _) =
        create(state.store.as_ref(), state.clock.as_ref(), &viewer, &viewer.own_scope(), &req).await?;
    state.worker_waker.wake();
    leptos_axum::redirect(&format!("/backfills/{id}"));
    Ok(id)
}

#[component]
pub fn NewBackfillPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let list = |k: &str| q.get_all(k).unwrap_or_default().join(",");
            (
                list("connection"),
                list("object"),
                q.get("range").unwrap_or_default(),
                q.get("from").unwrap_or_default(),
                q.get("to").unwrap_or_default(),
                q.get("review").is_some(),
                q.get("matching").unwrap_or_default(),
            )
        })
    };
    let data = Resource::new(args, |(c, o, r, f, t, review, m)| new_backfill(c, o, r, f, t, review, m));
    let start = ServerAction::<StartBackfill>::new();
    view! {
        <PageHeader title="New backfill" subtitle="Re-fetch data objects over a time range, under the current data sync configuration." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <NewBackfillForm v start /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewBackfillForm(v: NewBackfillView, start: ServerAction<StartBackfill>) -> impl IntoView {
    let query = use_query_map();
    let range = query.with_untracked(|q| q.get("range").unwrap_or_else(|| "full".into()));
    let from = query.with_untracked(|q| q.get("from").unwrap_or_default());
    let to = query.with_untracked(|q| q.get("to").unwrap_or_default());
    let conn_ids: Vec<String> = v.connections.iter().map(|c| c.id.clone()).collect();
    let chosen: Vec<String> = v.objects.iter().filter(|o| o.checked).map(|o| o.name.clone()).collect();
    let disabled = v.allowed.is_err();
    let (conn_ids2, range2, from2, to2) = (conn_ids.clone(), range.clone(), from.clone(), to.clone());
    // "Select all" is a link (it works without JavaScript): this page with every object offered.
    let select_all = {
        use crate::url::encode_component as enc;
        let (connections, matching) =
            query.with_untracked(|q| (q.get_all("connection").unwrap_or_default(), q.get("matching")));
        let mut pairs: Vec<String> = connections.iter().map(|c| format!("connection={}", enc(c))).collect();
        pairs.extend(matching.map(|m| format!("matching={}", enc(&m))));
        pairs.extend(
            v.objects.iter().filter(|o| o.unavailable.is_none()).map(|o| format!("object={}", enc(&o.name))),
        );
        pairs.push(format!("range={}", enc(&range)));
        for (k, val) in [("from", &from), ("to", &to)] {
            if !val.is_empty() {
                pairs.push(format!("{k}={}", enc(val)));
            }
        }
        format!("/backfills/new?{}", pairs.join("&"))
    };
    if v.connections.is_empty() {
        return view! {
            <Card class="p-5 text-sm text-slate-700">
                <p>"Choose connections to backfill: open a connection and use \u{201c}Backfill\u{201d}, or select several on the "
                    <a class="font-medium text-indigo-700 underline" href="/connections">"connections list"</a>"."</p>
            </Card>
        }.into_any();
    }
    view! {
        {v.allowed.clone().err().map(|why| view! {
            <p role="note" data-testid="backfill-not-allowed" class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">{why}</p>
        })}
        <Card class="mb-4 p-5">
            <h2 class="text-sm font-semibold text-slate-900">{crate::features::ui::plural(v.connections.len() as i64, "connection", "connections")}</h2>
            <ul class="mt-2 flex flex-wrap gap-2 text-sm" data-testid="backfill-connections">
                {v.connections.iter().take(20).map(|c| view! {
                    <li class="rounded-md bg-slate-100 px-2 py-1">{c.name.clone()} " · " {c.platform_name.clone()}</li>
                }).collect_view()}
                {(v.connections.len() > 20).then(|| view! { <li class="px-2 py-1 text-slate-600">{format!("and {} more", v.connections.len() - 20)}</li> })}
            </ul>
        </Card>
        <Card class="mb-4 p-5">
            // Step 1: a GET, so the review works without JavaScript and can be linked.
            <form method="get" action="/backfills/new" aria-label="Choose what to backfill">
                {conn_ids.iter().map(|id| view! { <input type="hidden" name="connection" value=id.clone() /> }).collect_view()}
                <input type="hidden" name="review" value="1" />
                <fieldset disabled=disabled>
                    // The legend stays the fieldset's first child: it names the group.
                    <legend class="text-sm font-semibold text-slate-900">"Data objects"</legend>
                    <p class="mt-1 text-sm text-slate-600">
                        "Checked: what the data sync configuration syncs. "
                        <a href=select_all class="font-medium text-indigo-700 hover:underline" data-testid="select-all-objects">"Select all"</a>
                    </p>
                    <div class="mt-2 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
                        {v.objects.iter().map(|o| {
                            let id = format!("object-{}", o.name);
                            let label_for = id.clone();
                            view! {
                                <label for=label_for class="flex items-start gap-2 text-sm">
                                    <input id=id type="checkbox" name="object" value=o.name.clone() checked=o.checked disabled=o.unavailable.is_some() class="mt-0.5" />
                                    <span>
                                        <span class="font-mono">{o.name.clone()}</span>
                                        {o.unavailable.clone().map(|why| view! { <span class="block text-xs text-slate-600">{format!("Unavailable: {why}")}</span> })}
                                    </span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <legend class="mt-5 block text-sm font-semibold text-slate-900">"Range"</legend>
                    <div class="mt-2 flex flex-wrap gap-4 text-sm">
                        <label class="flex items-center gap-2"><input type="radio" name="range" value="full" checked=range == "full" />"Full history (the configuration's lookback)"</label>
                        <label class="flex items-center gap-2"><input type="radio" name="range" value="30d" checked=range == "30d" />"Last 30 days"</label>
                        <label class="flex items-center gap-2"><input type="radio" name="range" value="custom" checked=range == "custom" />"Custom"</label>
                    </div>
                    <div class="mt-3 flex flex-wrap gap-4 text-sm">
                        <label class="flex flex-col">"From (UTC)"<input name="from" type="datetime-local" value=from.clone() class="mt-1 rounded-md border border-slate-300 px-2 py-1" /></label>
                        <label class="flex flex-col">"To (UTC)"<input name="to" type="datetime-local" value=to.clone() class="mt-1 rounded-md border border-slate-300 px-2 py-1" /></label>
                    </div>
                    <button class="mt-5 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 hover:bg-slate-50">"Review backfill"</button>
                </fieldset>
            </form>
        </Card>
        {v.review.clone().map(|r| match r {
            Err(e) => view! { <div data-testid="backfill-error" class="mb-4"><ErrorNotice error=e /></div> }.into_any(),
            Ok(review) => view! {
                <Card class="mb-4 p-5">
                    <p class="text-sm text-slate-900" data-testid="backfill-review">
                        {format!("This queues {} for {}, {}.", crate::features::ui::plural(review.runs as i64, "run", "runs"), crate::features::ui::plural(review.connections as i64, "connection", "connections"), review.range_label)}
                    </p>
                    {(!review.skipped.is_empty()).then(|| view! {
                        <ul class="mt-2 list-disc pl-5 text-sm text-slate-700">
                            {review.skipped.iter().map(|(name, why)| view! { <li>{format!("{name} is left out: {why}.")}</li> }).collect_view()}
                        </ul>
                    })}
                    // Step 2: confirm.
                    <ActionForm action=start attr:class="mt-4 space-y-3" attr:aria-label="Confirm backfill">
                        <input type="hidden" name="connections" value=conn_ids2.join(",") />
                        <input type="hidden" name="objects" value=chosen.join(",") />
                        <input type="hidden" name="range" value=range2.clone() />
                        <input type="hidden" name="from" value=from2.clone() />
                        <input type="hidden" name="to" value=to2.clone() />
                        <input type="hidden" name="key" value=v.submission_key.clone() />
                        <label class="block text-sm text-slate-800">"Reason (optional)"
                            <input name="reason" maxlength="500" placeholder="Ticket 4521: invoices missing since October" class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                        </label>
                        <button disabled=disabled class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">
                            {format!("Queue {}", crate::features::ui::plural(review.runs as i64, "run", "runs"))}
                        </button>
                    </ActionForm>
                    {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3" data-testid="backfill-error"><ErrorNotice error=e /></div> })}
                    {move || start.value().get().and_then(|r| r.ok()).map(|id| {
                        let href = format!("/backfills/{id}");
                        view! { <p class="mt-3 text-sm">"Queued. " <a class="font-medium text-indigo-700 underline" href=href>"Follow its progress \u{2192}"</a></p> }
                    })}
                </Card>
            }.into_any(),
        })}
    }.into_any()
}
