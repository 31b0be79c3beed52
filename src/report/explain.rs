//! Rendering an `Explanation` (`trailgate explain`, failing rule tests): an indented tree for a
//! terminal, or JSON for tools.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::engine::explain::{Explanation, Verdict};
use crate::engine::trace::{Selected, Trace};

const VALUE_WIDTH: usize = 120;

/// Writes the explanation as an indented tree, each line prefixed by `indent`.
pub fn write_text(out: &mut dyn Write, explanation: &Explanation, indent: &str) -> io::Result<()> {
    let verdict = match &explanation.verdict {
        Verdict::Suppressed(reason) => format!("suppressed by an exception ({reason})"),
        other => other.as_str().to_string(),
    };
    writeln!(out, "{indent}rule {}: {verdict}", explanation.rule_id)?;
    match &explanation.not_applicable {
        Some(why) => writeln!(out, "{indent}  applies: no, {why}")?,
        None => writeln!(out, "{indent}  applies: yes")?,
    }
    writeln!(
        out,
        "{indent}  condition: {}",
        if explanation.condition.holds {
            "holds"
        } else {
            "does not hold"
        }
    )?;
    write_trace(out, &explanation.condition, &format!("{indent}    "))?;
    if let Some(path) = &explanation.first_seen_missing {
        writeln!(
            out,
            "{indent}  first_seen: the event has no value at `{path}`, so it is not counted"
        )?;
    }
    if !explanation.exceptions.is_empty() {
        writeln!(out, "{indent}  exceptions:")?;
        for (reason, trace) in &explanation.exceptions {
            writeln!(
                out,
                "{indent}    {} {reason}",
                if trace.holds {
                    "✓ applies:"
                } else {
                    "✗ does not apply:"
                }
            )?;
            write_trace(out, trace, &format!("{indent}      "))?;
        }
    }
    if matches!(
        explanation.verdict,
        Verdict::Finding | Verdict::Suppressed(_)
    ) {
        writeln!(out, "{indent}  message: {}", explanation.message)?;
    }
    Ok(())
}

fn write_trace(out: &mut dyn Write, trace: &Trace, indent: &str) -> io::Result<()> {
    let mark = if trace.holds { "✓" } else { "✗" };
    writeln!(out, "{indent}{mark} {}", trace.label)?;
    for selected in &trace.selected {
        writeln!(out, "{indent}    {}", selected_text(selected))?;
    }
    for child in &trace.children {
        write_trace(out, child, &format!("{indent}  "))?;
    }
    Ok(())
}

fn selected_text(selected: &Selected) -> String {
    let verdict = match selected.passed {
        Some(true) => "  (passes)",
        Some(false) => "  (fails)",
        None => "",
    };
    match &selected.value {
        None => format!("{}: missing", selected.path),
        Some(value) => {
            let mut text = value.to_string();
            if text.chars().count() > VALUE_WIDTH {
                text = text.chars().take(VALUE_WIDTH).collect::<String>() + "…";
            }
            format!("{} = {text}{verdict}", selected.path)
        }
    }
}

/// The explanation as JSON.
pub fn to_json(explanation: &Explanation) -> Value {
    json!({
        "rule_id": explanation.rule_id,
        "verdict": explanation.verdict.as_str(),
        "suppressed_by": match &explanation.verdict {
            Verdict::Suppressed(reason) => Some(reason.as_str()),
            _ => None,
        },
        "applies": explanation.not_applicable.is_none(),
        "not_applicable_because": explanation.not_applicable,
        "condition": trace_json(&explanation.condition),
        "exceptions": explanation.exceptions.iter().map(|(reason, trace)| json!({
            "reason": reason,
            "holds": trace.holds,
            "trace": trace_json(trace),
        })).collect::<Vec<_>>(),
        "first_seen_missing": explanation.first_seen_missing,
        "message": explanation.message,
    })
}

fn trace_json(trace: &Trace) -> Value {
    json!({
        "label": trace.label,
        "holds": trace.holds,
        "selected": trace.selected.iter().map(|s| json!({
            "path": s.path,
            "missing": s.value.is_none(),
            "value": s.value,
            "passed": s.passed,
        })).collect::<Vec<_>>(),
        "children": trace.children.iter().map(trace_json).collect::<Vec<_>>(),
    })
}

/// Writes a correlation's explanation (`trailgate explain CORRELATION EVENTS`) for a terminal.
pub fn write_correlation_text(
    out: &mut dyn Write,
    explanation: &crate::correlate::explain::Explanation,
) -> io::Result<()> {
    let fired: usize = explanation.groups.iter().map(|g| g.fired.len()).sum();
    writeln!(
        out,
        "correlation {}: {}",
        explanation.correlation,
        if fired == 0 {
            "no finding".to_string()
        } else if fired == 1 {
            "1 finding".to_string()
        } else {
            format!("{fired} findings")
        }
    )?;
    writeln!(out, "  counts: {}", explanation.summary)?;
    for (rule, n) in &explanation.matches {
        writeln!(out, "  input {rule}: {n} in these events")?;
    }
    for (reason, n) in &explanation.dropped {
        writeln!(
            out,
            "  left out: {n} {} ({reason}): not placed in any window",
            if *n == 1 { "match" } else { "matches" }
        )?;
    }
    if explanation.groups.is_empty() {
        writeln!(out, "  groups: none (no event gave a signal)")?;
    }
    for group in &explanation.groups {
        let name: Vec<String> = group
            .group
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let name = if name.is_empty() {
            "(one group)".to_string()
        } else {
            name.join(", ")
        };
        writeln!(
            out,
            "  group {}: {} {}, highest measure in a window {}",
            crate::report::escape::control(&name),
            group.signals,
            if group.signals == 1 {
                "signal"
            } else {
                "signals"
            },
            group.peak
        )?;
        if group.fired.is_empty() {
            writeln!(out, "    no window met the condition")?;
        }
        for episode in &group.fired {
            writeln!(
                out,
                "    fired: {} to {}, {} events, measure {}",
                crate::time::Timestamp::from_secs(episode.start).to_rfc3339(),
                crate::time::Timestamp::from_secs(episode.end).to_rfc3339(),
                episode.total(),
                episode.measure
            )?;
        }
    }
    Ok(())
}

/// A correlation's explanation as JSON.
pub fn correlation_to_json(explanation: &crate::correlate::explain::Explanation) -> Value {
    json!({
        "correlation": explanation.correlation,
        "counts": explanation.summary,
        "matches": explanation.matches.iter().map(|(rule, n)| json!({"rule": rule, "matches": n})).collect::<Vec<_>>(),
        "dropped": explanation.dropped,
        "groups": explanation.groups.iter().map(|g| json!({
            "group": g.group.iter().map(|(k, v)| json!({"field": k, "value": v})).collect::<Vec<_>>(),
            "signals": g.signals,
            "peak": g.peak,
            "fired": g.fired.iter().map(|e| json!({
                "first": crate::time::Timestamp::from_secs(e.start).to_rfc3339(),
                "last": crate::time::Timestamp::from_secs(e.end).to_rfc3339(),
                "events": e.total(),
                "measure": e.measure,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
