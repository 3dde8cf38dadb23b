//! Languages: every text of the pages is a message in a Fluent catalogue
//! (`locales/<lang>/portal.ftl`, compiled in), never a literal in a template. The
//! language comes from `?lang=` (remembered in a cookie), then the cookie, then
//! `Accept-Language`; English when none of them names one we have.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;

/// A language the portal speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The BCP 47 tag (`lang` attribute, `?lang=`, the cookie).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The language's own name, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// The language a tag names, if we have it (`zh`, `zh-CN`, `zh-Hans-CN`, `en-GB` …).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            // Traditional-script variants are not offered as Simplified Chinese.
            "zh" if !tag.to_ascii_lowercase().contains("hant")
                && !["zh-tw", "zh-hk", "zh-mo"]
                    .iter()
                    .any(|t| tag.trim().eq_ignore_ascii_case(t)) =>
            {
                Some(Lang::Zh)
            }
            _ => None,
        }
    }

    /// The best language of an `Accept-Language` header (by q value, then order).
    pub fn negotiate(accept_language: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        // Bounded: a header is at most a few kilobytes; look at the first 32 entries.
        for item in accept_language.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Lang::from_tag(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// A date as people read it: "1 May 2019", "2019年5月1日".
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::En => d.format("%-d %B %Y").to_string(),
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        }
    }

    /// The day an instant falls on in `zone`, as people there read it (a deadline is a
    /// day, not an instant).
    pub fn day(self, at: DateTime<Utc>, zone: Tz) -> String {
        self.date(at.with_timezone(&zone).date_naive())
    }

    /// An instant as people in `zone` read it: the day, the time of day and the zone's
    /// offset from UTC ("7 December 2026 21:05 (UTC+08:00)").
    pub fn moment(self, at: DateTime<Utc>, zone: Tz) -> String {
        let local = at.with_timezone(&zone);
        format!(
            "{} {} (UTC{})",
            self.date(local.date_naive()),
            local.format("%H:%M"),
            local.format("%:z")
        )
    }

    /// The message `id`.
    pub fn t(self, id: &str) -> String {
        self.format(id, None)
    }

    /// Whether the catalogue has the message `id`.
    pub fn has(self, id: &str) -> bool {
        catalogue(self).has_message(id)
    }

    /// The message `id`, or `fallback` when the catalogue has none (for ids made from
    /// stored names, such as an audit entry's action).
    pub fn t_or(self, id: &str, fallback: &str) -> String {
        if self.has(id) {
            self.format(id, None)
        } else {
            fallback.to_string()
        }
    }

    /// The message `id` with arguments.
    pub fn t_with(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, FluentValue::from(*v));
        }
        self.format(id, Some(&a))
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> String {
        let bundle = catalogue(self);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            // A missing message shows its id (visible, never blank); the catalogue test
            // keeps both languages complete.
            return format!("[{id}]");
        };
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }
}

/// The catalogues as compiled in: (language, Fluent source).
pub const SOURCES: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../locales/en/portal.ftl")),
    (Lang::Zh, include_str!("../locales/zh-CN/portal.ftl")),
];

fn catalogue(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static EN: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static ZH: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let cell = match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    };
    cell.get_or_init(|| build(lang))
}

fn build(lang: Lang) -> FluentBundle<FluentResource> {
    let source = SOURCES
        .iter()
        .find(|(l, _)| *l == lang)
        .map_or("", |(_, s)| *s);
    // A catalogue that does not parse is a build defect the catalogue test catches;
    // at run time the messages that did parse are still used.
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
    let id = lang
        .tag()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks: the pages set `dir` themselves, and the marks would
    // show up in copied text and in tests.
    bundle.set_use_isolating(false);
    let _ = bundle.add_resource(resource);
    bundle
}

/// The message ids of a catalogue source (for the completeness test).
pub fn message_ids(source: &str) -> Result<Vec<String>, String> {
    let resource =
        FluentResource::try_new(source.to_string()).map_err(|(_, e)| format!("{e:?}"))?;
    Ok(resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_days_where_the_authority_is() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-20T20:30:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let shanghai = chrono_tz::Asia::Shanghai;
        // 04:30 the next morning in Beijing
        assert_eq!(Lang::En.day(at, shanghai), "21 December 2026");
        assert_eq!(Lang::Zh.day(at, shanghai), "2026年12月21日");
        assert_eq!(
            Lang::En.moment(at, shanghai),
            "21 December 2026 04:30 (UTC+08:00)"
        );
        assert_eq!(Lang::En.day(at, chrono_tz::UTC), "20 December 2026");
    }

    #[test]
    fn both_catalogues_parse_and_have_the_same_messages() {
        let mut ids: Vec<Vec<String>> = Vec::new();
        for (lang, source) in SOURCES {
            let mut v = message_ids(source).unwrap_or_else(|e| panic!("{lang:?}: {e}"));
            v.sort();
            let n = v.len();
            v.dedup();
            assert_eq!(n, v.len(), "{lang:?} defines a message twice");
            ids.push(v);
        }
        assert_eq!(ids[0], ids[1], "en and zh-CN differ in their message ids");
        for id in &ids[0] {
            for lang in Lang::ALL {
                assert!(
                    !lang.t(id).starts_with('['),
                    "{lang:?} {id} does not format"
                );
            }
        }
    }

    #[test]
    fn languages_are_negotiated_by_quality_then_order() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(Lang::negotiate("en-GB,en;q=0.9,zh;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::negotiate("fr, zh;q=0.4, en;q=0.3"), Some(Lang::Zh));
        assert_eq!(
            Lang::negotiate("zh-TW, zh-Hant;q=0.9"),
            None,
            "not Simplified"
        );
        assert_eq!(Lang::negotiate("de, fr"), None);
        assert_eq!(
            Lang::negotiate("zh;q=0, en"),
            Some(Lang::En),
            "q=0 is a refusal"
        );
        assert_eq!(Lang::negotiate(&"x,".repeat(100_000)), None, "bounded");
    }

    #[test]
    fn dates_as_people_read_them() {
        let d = NaiveDate::from_ymd_opt(2019, 5, 1).unwrap();
        assert_eq!(Lang::En.date(d), "1 May 2019");
        assert_eq!(Lang::Zh.date(d), "2019年5月1日");
        assert_eq!(Lang::En.t("nope-nope"), "[nope-nope]");
    }
}
