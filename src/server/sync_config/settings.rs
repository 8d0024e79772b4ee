//! A data sync configuration's settings as typed values: reading what is stored (older versions
//! kept a lookback per object, so reading tolerates that shape), validating what a form sent
//! with messages that name the field, the effective configuration of one platform, and a
//! readable diff between two versions.

use crate::domain::{platform, Frequency, IntegrationType, PlatformSpec, PLATFORMS};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const DEFAULT_HISTORY_MONTHS: i64 = 24;
pub const MAX_HISTORY_MONTHS: i64 = 120;
/// What a new organization starts with.
pub const DEFAULT_FREQUENCY: Frequency = Frequency::Every6Hours;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSettings {
    pub enabled: bool,
    /// Whether a new connection's initial sync pulls this object's history; when not, the
    /// object only syncs incrementally from the time of linking.
    pub fetch_on_first_link: bool,
}

/// One platform's exceptions to its integration type's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlatformOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// The objects enabled for this platform, instead of the type's choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<String>>,
}

impl PlatformOverride {
    fn is_empty(&self) -> bool {
        self.frequency.is_none() && self.objects.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    pub frequency: Frequency,
    /// Months of history an initial sync (and a full-history backfill) fetches.
    pub history_months: i64,
    /// Every data object of the integration type.
    pub objects: BTreeMap<String, ObjectSettings>,
    /// By platform id.
    #[serde(default)]
    pub overrides: BTreeMap<String, PlatformOverride>,
}

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    TypeDefault,
    PlatformOverride,
}

/// The configuration one platform's connections sync under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub frequency: Frequency,
    pub frequency_source: Source,
    pub history_months: i64,
    pub objects: Vec<EffectiveObject>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveObject {
    pub name: &'static str,
    pub enabled: bool,
    pub source: Source,
    /// Whether the platform offers it at all.
    pub supported: bool,
    pub fetch_on_first_link: bool,
}

impl Effective {
    /// What the scheduler syncs: enabled and offered by the platform.
    pub fn synced_objects(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.objects.iter().filter(|o| o.enabled && o.supported).map(|o| o.name)
    }
}

impl SyncSettings {
    pub fn default_for(it: IntegrationType) -> Self {
        SyncSettings {
            frequency: DEFAULT_FREQUENCY,
            history_months: DEFAULT_HISTORY_MONTHS,
            objects: it
                .data_objects()
                .iter()
                .map(|o| (o.to_string(), ObjectSettings { enabled: true, fetch_on_first_link: true }))
                .collect(),
            overrides: BTreeMap::new(),
        }
    }

    /// Reads stored settings. Missing values take the defaults, and values this version of the
    /// product does not know (an object or platform removed from the catalog) are dropped, so a
    /// stored version always reads.
    pub fn from_stored(it: IntegrationType, v: &Value) -> Self {
        let d = Self::default_for(it);
        let frequency = v["frequency"].as_str().and_then(Frequency::parse).unwrap_or(d.frequency);
        let history_months = v["history_months"]
            .as_i64()
            .or_else(|| {
                // Before version 5 each object kept its own lookback; the largest is what was pulled.
                it.data_objects().iter().filter_map(|o| v["objects"][*o]["history"]["months"].as_i64()).max()
            })
            .unwrap_or(d.history_months);
        let objects = it
            .data_objects()
            .iter()
            .map(|o| {
                let x = &v["objects"][*o];
                (
                    o.to_string(),
                    ObjectSettings {
                        enabled: x["enabled"].as_bool().unwrap_or(true),
                        fetch_on_first_link: x["fetch_on_first_link"].as_bool().unwrap_or(true),
                    },
                )
            })
            .collect();
        let overrides = v["overrides"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(p, _)| platform(p).is_some_and(|s| s.integration_type == it))
                    .map(|(p, o)| {
                        let ov = PlatformOverride {
                            frequency: o["frequency"].as_str().and_then(Frequency::parse),
                            objects: o["objects"].as_array().map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .filter(|x| it.data_objects().contains(x))
                                    .map(str::to_string)
                                    .collect()
                            }),
                        };
                        (p.clone(), ov)
                    })
                    .filter(|(_, ov)| !ov.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        SyncSettings { frequency, history_months, objects, overrides }
    }

    pub fn from_stored_text(it: IntegrationType, text: &str) -> Self {
        Self::from_stored(it, &serde_json::from_str(text).unwrap_or(Value::Null))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn enabled(&self, object: &str) -> bool {
        self.objects.get(object).is_some_and(|o| o.enabled)
    }

    /// The configuration `spec`'s connections sync under.
    pub fn effective(&self, spec: &PlatformSpec) -> Effective {
        let ov = self.overrides.get(spec.id);
        let (frequency, frequency_source) = match ov.and_then(|o| o.frequency) {
            Some(f) => (f, Source::PlatformOverride),
            None => (self.frequency, Source::TypeDefault),
        };
        let own = ov.and_then(|o| o.objects.as_ref());
        let objects = spec
            .integration_type
            .data_objects()
            .iter()
            .map(|o| {
                let base = self
                    .objects
                    .get(*o)
                    .copied()
                    .unwrap_or(ObjectSettings { enabled: false, fetch_on_first_link: true });
                let (enabled, source) = match own {
                    Some(list) => (list.iter().any(|x| x == o), Source::PlatformOverride),
                    None => (base.enabled, Source::TypeDefault),
                };
                EffectiveObject {
                    name: o,
                    enabled,
                    source,
                    supported: !spec.unsupported_objects.contains(o),
                    fetch_on_first_link: base.fetch_on_first_link,
                }
            })
            .collect();
        Effective { frequency, frequency_source, history_months: self.history_months, objects }
    }
}

/// `mine` was edited from `base` while someone saved `theirs`: my changes applied onto theirs. A
/// setting only they changed takes their value; one I changed keeps mine (also when they
/// changed it too: the preview shows the person what their save would undo).
pub fn rebase(base: &SyncSettings, mine: &SyncSettings, theirs: &SyncSettings) -> SyncSettings {
    fn pick<T: PartialEq + Clone>(base: &T, mine: &T, theirs: &T) -> T {
        if mine == base {
            theirs.clone()
        } else {
            mine.clone()
        }
    }
    let off = ObjectSettings { enabled: false, fetch_on_first_link: false };
    let objects = theirs
        .objects
        .keys()
        .chain(mine.objects.keys())
        .map(|k| {
            let (b, m, t) = (
                base.objects.get(k).copied().unwrap_or(off),
                mine.objects.get(k).copied().unwrap_or(off),
                theirs.objects.get(k).copied().unwrap_or(off),
            );
            let merged = ObjectSettings {
                enabled: pick(&b.enabled, &m.enabled, &t.enabled),
                fetch_on_first_link: pick(
                    &b.fetch_on_first_link,
                    &m.fetch_on_first_link,
                    &t.fetch_on_first_link,
                ),
            };
            (k.clone(), merged)
        })
        .collect();
    let overrides = theirs
        .overrides
        .keys()
        .chain(mine.overrides.keys())
        .filter_map(|p| {
            pick(&base.overrides.get(p), &mine.overrides.get(p), &theirs.overrides.get(p))
                .map(|o| (p.clone(), o.clone()))
        })
        .collect();
    SyncSettings {
        frequency: pick(&base.frequency, &mine.frequency, &theirs.frequency),
        history_months: pick(&base.history_months, &mine.history_months, &theirs.history_months),
        objects,
        overrides,
    }
}

/// A problem with one field of the edit form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field: `objects`, `months`, `frequency`, `first_link`, `<platform>.frequency`,
    /// `<platform>.object` or `comment`.
    pub field: String,
    pub message: String,
}

/// What the edit form sent, as text; [`SettingsForm::validate`] turns it into settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SettingsForm {
    pub objects: Vec<String>,
    pub first_link: Vec<String>,
    pub months: String,
    pub frequency: String,
    /// By platform id: the frequency chosen ("" = the type's), and the objects chosen when the
    /// platform has its own object list.
    pub overrides: BTreeMap<String, (String, Option<Vec<String>>)>,
}

impl SettingsForm {
    /// The form that shows `s` as it is.
    pub fn from_settings(s: &SyncSettings) -> Self {
        SettingsForm {
            objects: s.objects.iter().filter(|(_, o)| o.enabled).map(|(k, _)| k.clone()).collect(),
            first_link: s
                .objects
                .iter()
                .filter(|(_, o)| o.fetch_on_first_link)
                .map(|(k, _)| k.clone())
                .collect(),
            months: s.history_months.to_string(),
            frequency: s.frequency.as_str().to_string(),
            overrides: s
                .overrides
                .iter()
                .map(|(p, o)| {
                    (
                        p.clone(),
                        (o.frequency.map(|f| f.as_str().to_string()).unwrap_or_default(), o.objects.clone()),
                    )
                })
                .collect(),
        }
    }

    /// Reads the form from a query string or form body (`object=…&object=…&months=24&frequency=6h
    /// &first_link=…&xero.frequency=1h&xero.own_objects=1&xero.object=…`).
    pub fn parse(query: &str) -> Self {
        let mut f = SettingsForm::default();
        let mut own: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut own_on: Vec<String> = vec![];
        for (k, v) in crate::url::query_pairs(query) {
            match k.as_str() {
                "object" => f.objects.push(v),
                "first_link" => f.first_link.push(v),
                "months" => f.months = v,
                "frequency" => f.frequency = v,
                other => {
                    let Some((p, field)) = other.split_once('.') else { continue };
                    match field {
                        "frequency" => f.overrides.entry(p.to_string()).or_default().0 = v,
                        "own_objects" if !v.is_empty() => own_on.push(p.to_string()),
                        "object" => own.entry(p.to_string()).or_default().push(v),
                        _ => {}
                    }
                }
            }
        }
        for p in own_on {
            let list = own.remove(&p).unwrap_or_default();
            f.overrides.entry(p).or_default().1 = Some(list);
        }
        f.overrides.retain(|_, (freq, objs)| !freq.is_empty() || objs.is_some());
        f
    }

    /// The query string [`SettingsForm::parse`] reads back: carried from the preview to the save
    /// and back to the form after a conflict, so nothing typed is lost.
    pub fn to_query(&self) -> String {
        use crate::url::encode_component as e;
        let mut parts = vec![];
        for o in &self.objects {
            parts.push(format!("object={}", e(o)));
        }
        for o in &self.first_link {
            parts.push(format!("first_link={}", e(o)));
        }
        parts.push(format!("months={}", e(&self.months)));
        parts.push(format!("frequency={}", e(&self.frequency)));
        for (p, (freq, objs)) in &self.overrides {
            if !freq.is_empty() {
                parts.push(format!("{}.frequency={}", e(p), e(freq)));
            }
            if let Some(list) = objs {
                parts.push(format!("{}.own_objects=1", e(p)));
                for o in list {
                    parts.push(format!("{}.object={}", e(p), e(o)));
                }
            }
        }
        parts.join("&")
    }

    /// Checks every field and returns the settings, or every problem found, each naming its field.
    pub fn validate(&self, it: IntegrationType) -> Result<SyncSettings, Vec<FieldError>> {
        let mut errors = vec![];
        let mut err = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
        let catalog = it.data_objects();
        let choose = || catalog.join(", ");
        for (field, list) in [("objects", &self.objects), ("first_link", &self.first_link)] {
            for o in list {
                if !catalog.contains(&o.as_str()) {
                    err(
                        field,
                        format!(
                            "{o:?} is not a data object of {} integrations. Choose from: {}.",
                            it.as_str(),
                            choose()
                        ),
                    );
                }
            }
        }
        if !self.objects.iter().any(|o| catalog.contains(&o.as_str())) {
            err(
                "objects",
                "Data objects: enable at least one. A configuration that syncs nothing would stop every new connection."
                    .into(),
            );
        }
        let months = match self.months.trim().parse::<i64>() {
            Ok(m) if (1..=MAX_HISTORY_MONTHS).contains(&m) => m,
            Ok(m) => {
                err(
                    "months",
                    format!("Initial lookback must be between 1 and {MAX_HISTORY_MONTHS} months; {m} is outside that range."),
                );
                DEFAULT_HISTORY_MONTHS
            }
            Err(_) => {
                err(
                    "months",
                    format!(
                        "Initial lookback must be a whole number of months from 1 to {MAX_HISTORY_MONTHS}; {:?} is not.",
                        self.months.trim()
                    ),
                );
                DEFAULT_HISTORY_MONTHS
            }
        };
        let frequencies = || Frequency::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ");
        let frequency = Frequency::parse(self.frequency.trim()).unwrap_or_else(|| {
            err(
                "frequency",
                format!("Sync frequency {:?} is not one of {}.", self.frequency.trim(), frequencies()),
            );
            DEFAULT_FREQUENCY
        });
        let mut overrides = BTreeMap::new();
        for (p, (freq, objs)) in &self.overrides {
            let Some(spec) = platform(p).filter(|s| s.integration_type == it) else {
                err(
                    "overrides",
                    format!(
                        "{p:?} is not a {} platform; overrides are for: {}.",
                        it.as_str(),
                        platforms_of(it).map(|s| s.id).collect::<Vec<_>>().join(", ")
                    ),
                );
                continue;
            };
            let mut ov = PlatformOverride::default();
            if !freq.trim().is_empty() {
                match Frequency::parse(freq.trim()) {
                    Some(f) => ov.frequency = Some(f),
                    None => err(
                        &format!("{p}.frequency"),
                        format!(
                            "{} override: sync frequency {:?} is not one of {}.",
                            spec.name,
                            freq.trim(),
                            frequencies()
                        ),
                    ),
                }
            }
            if let Some(list) = objs {
                let mut chosen = vec![];
                for o in list {
                    if !catalog.contains(&o.as_str()) {
                        err(
                            &format!("{p}.object"),
                            format!(
                                "{} override: {o:?} is not a data object of {} integrations.",
                                spec.name,
                                it.as_str()
                            ),
                        );
                    } else if !chosen.contains(o) {
                        chosen.push(o.clone());
                    }
                }
                if !chosen.iter().any(|o| spec.supported_objects().any(|s| s == o)) {
                    err(
                        &format!("{p}.object"),
                        format!(
                            "{} override: enable at least one object {} offers, or use the type's objects.",
                            spec.name, spec.name
                        ),
                    );
                }
                chosen.sort_by_key(|o| catalog.iter().position(|c| c == o));
                ov.objects = Some(chosen);
            }
            if !ov.is_empty() {
                overrides.insert(p.clone(), ov);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SyncSettings {
            frequency,
            history_months: months,
            objects: catalog
                .iter()
                .map(|o| {
                    (
                        o.to_string(),
                        ObjectSettings {
                            enabled: self.objects.iter().any(|x| x == o),
                            fetch_on_first_link: self.first_link.iter().any(|x| x == o),
                        },
                    )
                })
                .collect(),
            overrides,
        })
    }
}

pub fn platforms_of(it: IntegrationType) -> impl Iterator<Item = &'static PlatformSpec> {
    PLATFORMS.iter().filter(move |p| p.integration_type == it)
}

/// One difference between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Where: `frequency`, `history_months`, `objects.<o>.enabled`,
    /// `objects.<o>.fetch_on_first_link`, `overrides.<platform>.frequency`,
    /// `overrides.<platform>.objects`.
    pub path: String,
    pub before: String,
    pub after: String,
    /// The change in words, for people.
    pub text: String,
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.into()
}

/// What changed from `a` to `b`, in the order the page shows settings.
pub fn diff(it: IntegrationType, a: &SyncSettings, b: &SyncSettings) -> Vec<Change> {
    let mut out = vec![];
    let mut push = |path: String, before: String, after: String, text: String| {
        out.push(Change { path, before, after, text })
    };
    for o in it.data_objects() {
        let (x, y) = (a.objects.get(*o), b.objects.get(*o));
        let (ea, eb) = (x.is_some_and(|s| s.enabled), y.is_some_and(|s| s.enabled));
        if ea != eb {
            push(
                format!("objects.{o}.enabled"),
                on_off(ea),
                on_off(eb),
                format!("{} {o}", if eb { "Enabled" } else { "Disabled" }),
            );
        }
        let (fa, fb) = (x.is_some_and(|s| s.fetch_on_first_link), y.is_some_and(|s| s.fetch_on_first_link));
        if fa != fb {
            push(
                format!("objects.{o}.fetch_on_first_link"),
                on_off(fa),
                on_off(fb),
                format!("{o}: fetched on first link {} \u{2192} {}", on_off(fa), on_off(fb)),
            );
        }
    }
    if a.history_months != b.history_months {
        push(
            "history_months".into(),
            a.history_months.to_string(),
            b.history_months.to_string(),
            format!("Initial lookback {} \u{2192} {} months", a.history_months, b.history_months),
        );
    }
    if a.frequency != b.frequency {
        push(
            "frequency".into(),
            a.frequency.as_str().into(),
            b.frequency.as_str().into(),
            format!("Sync frequency {} \u{2192} {}", a.frequency.label(), b.frequency.label()),
        );
    }
    for spec in platforms_of(it) {
        let (x, y) = (a.overrides.get(spec.id), b.overrides.get(spec.id));
        let (fa, fb) = (x.and_then(|o| o.frequency), y.and_then(|o| o.frequency));
        if fa != fb {
            let show = |f: Option<Frequency>| {
                f.map(|f| f.label().to_string()).unwrap_or_else(|| "type default".into())
            };
            push(
                format!("overrides.{}.frequency", spec.id),
                fa.map(|f| f.as_str().to_string()).unwrap_or_default(),
                fb.map(|f| f.as_str().to_string()).unwrap_or_default(),
                format!("{} override, sync frequency: {} \u{2192} {}", spec.name, show(fa), show(fb)),
            );
        }
        let (oa, ob) = (x.and_then(|o| o.objects.clone()), y.and_then(|o| o.objects.clone()));
        if oa != ob {
            let show = |l: &Option<Vec<String>>| match l {
                Some(l) if l.is_empty() => "none".to_string(),
                Some(l) => l.join(", "),
                None => "type default".into(),
            };
            push(
                format!("overrides.{}.objects", spec.id),
                oa.as_ref().map(|l| l.join(",")).unwrap_or_default(),
                ob.as_ref().map(|l| l.join(",")).unwrap_or_default(),
                format!("{} override, objects: {} \u{2192} {}", spec.name, show(&oa), show(&ob)),
            );
        }
    }
    out
}

/// The objects a connection on `old` must fetch to be where a new connection on `new` would
/// be: those it syncs under `new` and fetches on first link, which `old` did not sync, or all of
/// them when `new` looks further back.
pub fn objects_to_backfill(spec: &PlatformSpec, old: &SyncSettings, new: &SyncSettings) -> Vec<&'static str> {
    let (before, after) = (old.effective(spec), new.effective(spec));
    let deeper = new.history_months > old.history_months;
    after
        .objects
        .iter()
        .filter(|o| o.enabled && o.supported && o.fetch_on_first_link)
        .filter(|o| deeper || !before.objects.iter().any(|b| b.name == o.name && b.enabled))
        .map(|o| o.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xero() -> &'static PlatformSpec {
        platform("xero").unwrap()
    }

    #[test]
    fn reads_the_older_per_object_lookback() {
        let v = serde_json::json!({"frequency": "1h", "objects": {"invoices": {"enabled": false, "history": {"kind": "months", "months": 36}}}});
        let s = SyncSettings::from_stored(IntegrationType::Accounting, &v);
        assert_eq!(s.history_months, 36);
        assert_eq!(s.frequency, Frequency::Hourly);
        assert!(!s.enabled("invoices"));
        assert!(s.enabled("bills"));
        assert_eq!(SyncSettings::from_stored_text(IntegrationType::Accounting, &s.to_json()), s);
        assert!(s.to_json().contains(r#""frequency":"1h""#), "stored with the product's spelling");
    }

    #[test]
    fn the_form_round_trips_and_names_each_bad_field() {
        let mut s = SyncSettings::default_for(IntegrationType::Accounting);
        s.overrides.insert(
            "xero".into(),
            PlatformOverride { frequency: Some(Frequency::Hourly), objects: Some(vec!["invoices".into()]) },
        );
        let form = SettingsForm::from_settings(&s);
        let back = SettingsForm::parse(&form.to_query());
        assert_eq!(back, form);
        assert_eq!(back.validate(IntegrationType::Accounting).unwrap(), s);

        let bad = SettingsForm::parse("object=orders&months=0&frequency=2h&stripe.frequency=1h");
        let errors = bad.validate(IntegrationType::Accounting).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["objects", "objects", "months", "frequency", "overrides"]);
        assert!(errors[0].message.contains("\"orders\" is not a data object of accounting"));
        assert!(errors[2].message.contains("between 1 and 120 months; 0"));
        let none = SettingsForm::parse("months=abc&frequency=6h");
        let errors = none.validate(IntegrationType::Accounting).unwrap_err();
        assert!(errors[0].message.contains("enable at least one"));
        assert!(errors[1].message.contains("\"abc\" is not"));
    }

    #[test]
    fn a_rebase_keeps_my_changes_and_takes_theirs_elsewhere() {
        let it = IntegrationType::Accounting;
        let base = SyncSettings::default_for(it);
        let mut mine = base.clone();
        mine.history_months = 48;
        mine.objects.get_mut("bills").unwrap().enabled = false;
        let mut theirs = base.clone();
        theirs.frequency = Frequency::Daily;
        theirs.history_months = 12;
        theirs
            .overrides
            .insert("xero".into(), PlatformOverride { frequency: Some(Frequency::Hourly), objects: None });
        let merged = rebase(&base, &mine, &theirs);
        assert_eq!(merged.frequency, Frequency::Daily);
        assert_eq!(merged.history_months, 48, "both changed it: mine is kept");
        assert!(!merged.enabled("bills"));
        assert!(merged.overrides.contains_key("xero"));
    }

    #[test]
    fn effective_settings_say_where_each_value_comes_from() {
        let mut s = SyncSettings::default_for(IntegrationType::Accounting);
        s.overrides
            .insert("xero".into(), PlatformOverride { frequency: Some(Frequency::Hourly), objects: None });
        let e = s.effective(xero());
        assert_eq!((e.frequency, e.frequency_source), (Frequency::Hourly, Source::PlatformOverride));
        assert!(e.objects.iter().all(|o| o.source == Source::TypeDefault));
        let netsuite = s.effective(platform("netsuite").unwrap());
        assert_eq!(netsuite.frequency_source, Source::TypeDefault);
        assert!(!netsuite.synced_objects().any(|o| o == "balance_sheets"));
    }

    #[test]
    fn diff_and_backfill_objects() {
        let it = IntegrationType::Accounting;
        let a = SettingsForm::parse("object=invoices&object=bills&first_link=invoices&first_link=bills&first_link=accounts&months=24&frequency=6h")
            .validate(it)
            .unwrap();
        let b = SettingsForm::parse("object=invoices&object=accounts&first_link=invoices&first_link=bills&first_link=accounts&months=24&frequency=1h&xero.frequency=15m")
            .validate(it)
            .unwrap();
        let texts: Vec<String> = diff(it, &a, &b).into_iter().map(|c| c.text).collect();
        assert_eq!(
            texts,
            [
                "Enabled accounts",
                "Disabled bills",
                "Sync frequency every 6 hours \u{2192} every hour",
                "Xero override, sync frequency: type default \u{2192} every 15 minutes"
            ]
        );
        assert_eq!(objects_to_backfill(xero(), &a, &b), ["accounts"]);
        let deeper =
            SettingsForm { months: "36".into(), ..SettingsForm::from_settings(&b) }.validate(it).unwrap();
        assert_eq!(objects_to_backfill(xero(), &a, &deeper), ["accounts", "invoices"]);
    }
}
