//! `--format jsonl`: one JSON object per line, each with a `type`: `finding`, `error`, `skipped`,
//! `gone` (with `--baseline`: in the baseline, not found now), then one `summary` line. Finding lines always carry `rule_id`, `severity`, `event_id`, `file`
//! and `record`, so scripts can rely on them.
//!
//! The lines carry everything the other formats render (finding lines add `source_ip` and
//! `user_agent`; the summary adds `stats`: coverage per rule and control, the time range,
//! accounts, regions, inputs; not the duration, so the same scan writes the same
//! bytes), so `trailgate report --from` (`from_jsonl.rs`) can merge the
//! JSON Lines of several scans and render any format as if from one scan.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::engine::{Finding, ScanResult};

use super::json::{error, gone, skipped, summary, tool, FindingOut};
use super::{render_streaming, Context, Report, StreamingReport};

pub struct JsonLines;

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
        serde_json::to_writer(
            &mut *out,
            &FindingOut::new(f, cx, Some("finding")).with_origin(f),
        )?;
        writeln!(out)
    }

    fn end(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        for e in &result.errors {
            line(out, "error", error(e))?;
        }
        for s in &result.skipped {
            line(out, "skipped", skipped(s))?;
        }
        for g in result.baseline.iter().flat_map(|b| &b.gone) {
            line(out, "gone", gone(g))?;
        }
        let mut summary = summary(result);
        let stats = &result.stats;
        summary["stats"] = json!({
            "bytes": stats.bytes,
            "rule_events": stats.rule_events,
            "control_events": stats.control_events,
            "out_of_scope": stats.out_of_scope,
            "undated": stats.undated,
            "first_event": stats.first_event.map(|t| t.to_rfc3339()),
            "last_event": stats.last_event.map(|t| t.to_rfc3339()),
            "accounts": stats.accounts,
            "regions": stats.regions,
            "inputs": cx.inputs,
        });
        summary["tool"] = tool();
        line(out, "summary", summary)
    }
}

fn line(out: &mut dyn Write, kind: &str, value: Value) -> io::Result<()> {
    let mut object = serde_json::Map::new();
    object.insert("type".into(), Value::String(kind.into()));
    if let Value::Object(fields) = value {
        object.extend(fields);
    }
    serde_json::to_writer(&mut *out, &Value::Object(object))?;
    writeln!(out)
}
