//! `trailgate report --from FILE...`: the JSON Lines of one or more scans, merged and rendered
//! as the scan would have rendered them.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::args::ReportArgs;
use super::output::{load_enricher, write_reports};
use super::plan::{self, ReportPlan};
use super::rules::{load_rules, write_load_error};
use super::Terminal;
use std::path::Path;

use crate::baseline;
use crate::exit::ExitStatus;
use crate::first_seen::{History, NoHistory};
use crate::report::from_jsonl;
use crate::state::Store;

/// `trailgate report --from FILE...`: the JSON Lines of one or more scans, merged and rendered
/// as the scan would have rendered them.
pub(super) fn run_report(
    args: &ReportArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    match plan::report(args) {
        Ok(plan) => report(&plan, stdout, stderr, terminal),
        Err(err) if err.conflict => {
            writeln!(stderr, "error: {}", err.message)?;
            Ok(ExitStatus::Usage)
        }
        Err(err) => {
            writeln!(stderr, "error: {}; no report was written", err.message)?;
            Ok(ExitStatus::Usage)
        }
    }
}

/// Runs a report plan: merges the JSON Lines reports, compares with the baseline, writes.
pub fn report(
    plan: &ReportPlan,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    if let Some(d) = plan
        .output
        .destinations
        .iter()
        .find(|d| d.format.is_principals())
    {
        writeln!(
            stderr,
            "error: -o {}: the per-principal summary needs the events, which JSON Lines reports do not carry; write it with `trailgate scan -o {}=FILE`; no report was written",
            d.format.name(),
            d.format.name()
        )?;
        return Ok(ExitStatus::Usage);
    }
    let enricher = match load_enricher(&plan.enrich) {
        Ok(enricher) => enricher,
        Err(message) => {
            writeln!(stderr, "error: {message}; no report was written")?;
            return Ok(ExitStatus::Usage);
        }
    };
    let rules = match load_rules(&plan.rules, stderr) {
        Ok(rules) => rules,
        Err(error) => return write_load_error(stderr, &error, "; no report was written"),
    };
    // Opened (and locked) before anything is read, as by `scan --state`.
    let mut store = match &plan.state {
        None => None,
        Some(dir) => match Store::open(dir) {
            Ok(store) => Some(store),
            Err(err) => {
                writeln!(stderr, "error: {err}; no report was written")?;
                return Ok(ExitStatus::Usage);
            }
        },
    };
    let merged = match from_jsonl::read(&plan.from) {
        Ok(merged) => merged,
        Err(message) => {
            writeln!(stderr, "error: {message}; no report was written")?;
            return Ok(ExitStatus::Usage);
        }
    };
    // The reports describe the rules (SARIF's rule list, JUnit's test cases): they must be the
    // rules the scans ran.
    let loaded: BTreeSet<String> = rules.rules().iter().map(|r| r.id.clone()).collect();
    if merged.rule_ids != loaded {
        let missing: Vec<&String> = merged.rule_ids.difference(&loaded).take(5).collect();
        let extra: Vec<&String> = loaded.difference(&merged.rule_ids).take(5).collect();
        writeln!(
            stderr,
            "error: the scans ran {} rules, these options load {}{}{}; give `report` the --rules, --builtin, --pack, --tag, --severity and --framework of the scans; no report was written",
            merged.rule_ids.len(),
            loaded.len(),
            if missing.is_empty() { String::new() } else { format!(" (not loaded: {})", list(&missing)) },
            if extra.is_empty() { String::new() } else { format!(" (not in the scans: {})", list(&extra)) },
        )?;
        return Ok(ExitStatus::Usage);
    }
    let mut result = merged.result;
    crate::correlate::stage::recompute(&rules, &mut result);
    let mut batch = match store.as_mut().map(Store::batch).transpose() {
        Ok(batch) => batch,
        Err(err) => {
            writeln!(stderr, "error: {err}; no report was written")?;
            return Ok(ExitStatus::Usage);
        }
    };
    let mut none = NoHistory;
    let history: &mut dyn History = match batch.as_mut() {
        Some(batch) => batch,
        None => &mut none,
    };
    // Only a JSON Lines report writes the observations again.
    let keep = plan
        .output
        .destinations
        .iter()
        .any(|d| d.format == crate::report::Format::Jsonl);
    if let Err(err) = crate::first_seen::stage::recompute(&rules, &mut result, history, keep) {
        writeln!(stderr, "error: {err}; no report was written")?;
        return Ok(ExitStatus::Usage);
    }
    // Today's names and databases, over what the scans wrote (or did not).
    if let Some(enricher) = &enricher {
        enricher.enrich_findings(&mut result.findings);
        for s in &mut result.suppressed_findings {
            enricher.enrich_findings(std::slice::from_mut(&mut s.finding));
        }
    }
    if let Some(path) = &plan.baseline {
        match baseline::read(path) {
            Ok(baseline) => baseline::compare(&mut result, &baseline),
            Err(reason) => {
                writeln!(
                    stderr,
                    "error: baseline {}: {reason}; no report was written",
                    path.display()
                )?;
                return Ok(ExitStatus::Usage);
            }
        }
    }
    // Findings the scans enriched keep their names and places; formats with fixed columns (CSV)
    // then show them as the scan's would.
    let mut output = plan.output.clone();
    for f in &result.findings {
        output.enriched.accounts |= f.account_name().is_some();
        output.enriched.geo |= f.source_place().is_some();
    }
    let status = write_reports(
        &output,
        &result,
        &rules,
        (
            &merged.inputs,
            None,
            enricher.as_ref().and_then(|e| e.accounts.as_ref()),
        ),
        (stdout, stderr),
        terminal,
    )?;
    let Some(batch) = batch else {
        return Ok(status);
    };
    // As `scan --state`: committed only once the reports are out.
    if status == ExitStatus::ReportFailed {
        writeln!(
            stderr,
            "warning: state store {}: not updated, since a report could not be written",
            plan.state.as_deref().unwrap_or(Path::new("?")).display()
        )?;
        return Ok(status);
    }
    if let Err(err) = batch.commit(result.stats.files_read, 0) {
        writeln!(
            stderr,
            "error: {err}; the reports were written but the store was not updated"
        )?;
        return Ok(ExitStatus::ReportFailed);
    }
    Ok(status)
}

fn list(ids: &[&String]) -> String {
    ids.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
