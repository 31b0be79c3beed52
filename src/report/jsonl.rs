//! `--format jsonl`: one JSON object per line, each with a `type`: `finding`, `error`, `skipped`,
//! `gone` (with `--baseline`: in the baseline, not found now), then one `summary` line. Finding lines always carry `rule_id`, `severity`, `event_id`, `file`
//! and `record`, so scripts can rely on them.

use std::io::{self, Write};

use serde_json::Value;

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
        serde_json::to_writer(&mut *out, &FindingOut::new(f, cx, Some("finding")))?;
        writeln!(out)
    }

    fn end(&self, result: &ScanResult, _cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
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
