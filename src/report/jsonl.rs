//! `--format jsonl`: one JSON object per line, each with a `type`: `finding`, `error`, `skipped`,
//! `gone` (with `--baseline`: in the baseline, not found now), then one `summary` line. Finding lines always carry `rule_id`, `severity`, `event_id`, `file`
//! and `record`, so scripts can rely on them.
//!
//! The lines carry everything the other formats render (finding lines add `source_ip` and
//! `user_agent`; the summary adds `stats`: coverage per rule and control, the time range,
//! accounts, regions, inputs; not the duration, so the same scan writes the same
//! bytes), so `trailgate report --from` (`from_jsonl.rs`) can merge the
//! JSON Lines of several scans and render any format as if from one scan.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Finding, ScanResult};
use crate::wire::{self, Detail, Kind, Tool};

use super::json::{finding, summary};
use super::{render_streaming, Context, Report, StreamingReport};

pub(super) struct JsonLines;

impl Report for JsonLines {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        render_streaming(self, result, cx, out)
    }
}

impl StreamingReport for JsonLines {
    fn begin(&self, _cx: &Context<'_>, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&self, f: &Finding, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        line(out, &finding(f, cx, Detail::Lines))
    }

    fn end(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        for e in &result.errors {
            line(out, &wire::ErrorRecord::new(e, Detail::Lines))?;
        }
        for s in &result.skipped {
            line(out, &wire::SkippedRecord::new(s, Detail::Lines))?;
        }
        for g in result.baseline.iter().flat_map(|b| &b.gone) {
            line(out, &wire::Gone::new(g, Detail::Lines))?;
        }
        for signal in &result.signals {
            line(out, &wire::SignalLine::new(signal))?;
        }
        for rule in &result.observations.rules {
            line(out, &wire::ObservationLine::rule(rule))?;
        }
        for key in &result.observations.keys {
            wire::ObservationLine::write_key(key, out)?;
            writeln!(out)?;
        }
        let stats = &result.stats;
        let summary = wire::Summary {
            stats: Some(wire::StatsOut {
                accounts: Cow::Borrowed(&stats.accounts),
                bytes: stats.bytes,
                control_events: Cow::Borrowed(&stats.control_events),
                first_event: stats.first_event.map(|t| t.to_rfc3339()),
                inputs: Cow::Borrowed(cx.inputs),
                last_event: stats.last_event.map(|t| t.to_rfc3339()),
                out_of_scope: stats.out_of_scope,
                regions: Cow::Borrowed(&stats.regions),
                rule_events: Cow::Borrowed(&stats.rule_events),
                undated: stats.undated,
            }),
            tool: Some(Tool::this()),
            kind: Some(Kind::Summary),
            ..summary(result)
        };
        line(out, &summary)
    }
}

fn line(out: &mut dyn Write, record: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    writeln!(out)
}
