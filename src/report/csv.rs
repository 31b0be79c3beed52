//! `--format csv`: one row per finding, with the fields auditors filter and pivot on, for a
//! spreadsheet. RFC 4180 (a header row, CRLF line ends, quoted fields), UTF-8 without a byte
//! order mark. Fields are made safe by `escape::csv`: control characters shown as `\u{..}`, and
//! values that start like a formula (`=`, `+`, `-`, `@`) prefixed with `'`.

use std::io::{self, Write};

use crate::finding::{EventLocation, Finding, Location, ScanResult};

use super::escape;
use super::{render_streaming, Context, Report, StreamingReport};

pub(super) struct Csv;

/// The columns, in order. Documented in docs/cli.md.
pub(super) const COLUMNS: [&str; 20] = [
    "severity",
    "rule_id",
    "title",
    "message",
    "event_time",
    "event_day",
    "account",
    "region",
    "principal",
    "source_ip",
    "user_agent",
    "event_source",
    "event_name",
    "event_id",
    "compliance",
    "baseline",
    "file",
    "record",
    "line",
    "fingerprint",
];

/// Columns added at the end with `--accounts`.
pub(super) const ACCOUNT_COLUMNS: [&str; 1] = ["account_name"];
/// Columns added at the end with `--geoip`.
pub(super) const GEO_COLUMNS: [&str; 6] = [
    "source_kind",
    "source_country",
    "source_city",
    "source_asn",
    "source_as_org",
    "source_geo_error",
];

/// The columns of this run: the fixed ones, then the enrichment's, so that a sheet built on
/// the fixed columns keeps working.
fn columns(cx: &Context<'_>) -> Vec<&'static str> {
    let mut columns = COLUMNS.to_vec();
    if cx.enriched.accounts {
        columns.extend(ACCOUNT_COLUMNS);
    }
    if cx.enriched.geo {
        columns.extend(GEO_COLUMNS);
    }
    columns
}

impl Report for Csv {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        render_streaming(self, result, cx, out)
    }
}

impl StreamingReport for Csv {
    fn begin(&self, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_row(out, columns(cx).iter().map(|c| c.to_string()))
    }

    fn finding(&self, finding: &Finding, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_row(out, row(finding, cx).into_iter())
    }

    fn end(&self, _result: &ScanResult, _cx: &Context<'_>, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

fn row(f: &Finding, cx: &Context<'_>) -> Vec<String> {
    let text = |value: &Option<String>| value.as_deref().map(escape::csv).unwrap_or_default();
    // A finding at a window has no one event: its time is the window's start, its place empty.
    let no_event = EventLocation::default();
    let (e, time, place) = match &f.location {
        Location::Event(e) => (
            e,
            e.event_time.clone(),
            [
                escape::csv(&e.file),
                e.record.to_string(),
                e.line.map(|l| l.to_string()).unwrap_or_default(),
            ],
        ),
        Location::Window(w) => (&no_event, Some(w.first.clone()), Default::default()),
    };
    let day = time
        .as_deref()
        .and_then(crate::time::parse_rfc3339)
        .map(|t| t.day())
        .unwrap_or_default();
    // `framework:control` pairs of the finding's rule, `; `-separated.
    let compliance = cx
        .rules
        .get(&f.rule_id)
        .map(|rule| {
            rule.compliance
                .iter()
                .flat_map(|(framework, ids)| ids.iter().map(move |id| format!("{framework}:{id}")))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    vec![
        f.severity.as_str().to_string(),
        escape::csv(&f.rule_id),
        escape::csv(&f.title),
        escape::csv(&f.message),
        text(&time),
        day,
        text(&e.account),
        text(&e.region),
        text(&e.principal),
        text(&e.source_ip),
        text(&e.user_agent),
        text(&e.event_source),
        text(&e.event_name),
        text(&e.event_id),
        escape::csv(&compliance),
        f.baseline
            .map(|b| b.as_str().to_string())
            .unwrap_or_default(),
    ]
    .into_iter()
    .chain(place)
    .chain([escape::csv(&f.fingerprint())])
    .chain(enrichment(f, cx))
    .collect()
}

/// The enrichment columns of a finding (none without `--accounts` and `--geoip`).
fn enrichment(f: &Finding, cx: &Context<'_>) -> Vec<String> {
    let text = |value: Option<&str>| value.map(escape::csv).unwrap_or_default();
    let mut cells = Vec::new();
    if cx.enriched.accounts {
        cells.push(text(f.account_name()));
    }
    if cx.enriched.geo {
        let place = f.source_place();
        cells.extend([
            text(place.map(|p| p.kind.as_str())),
            text(place.and_then(|p| p.country.as_deref())),
            text(place.and_then(|p| p.city.as_deref())),
            place
                .and_then(|p| p.asn)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            text(place.and_then(|p| p.as_org.as_deref())),
            text(place.and_then(|p| p.error.as_deref())),
        ]);
    }
    cells
}

fn write_row(out: &mut dyn Write, fields: impl Iterator<Item = String>) -> io::Result<()> {
    let line: Vec<String> = fields.collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}
