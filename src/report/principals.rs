//! The per-principal activity summary as its own report (`-o principals=FILE.csv`, or `.json`):
//! one row per principal, most events first. The rows come from `summary::PrincipalRow`; this
//! file only lays them out. CSV as the findings' CSV is written (RFC 4180, CRLF, fields made safe
//! by `escape::csv`), a list in one cell as `value [label] (events)` joined by `; `, ending with
//! `+N events with other values` when the summary capped the list.

use std::io::{self, Write};

use serde::Serialize;

use crate::summary::principals::{PrincipalRow, ValueCount};

use super::escape;

/// The CSV columns, in order. Documented in docs/audit-reports.md.
pub const COLUMNS: [&str; 18] = [
    "principal",
    "events",
    "failed_calls",
    "first_seen",
    "last_seen",
    "undated_events",
    "accounts",
    "regions",
    "source_addresses",
    "long_term_access_keys",
    "temporary_access_keys",
    "user_agents",
    "top_calls",
    "findings_critical",
    "findings_high",
    "findings_medium",
    "findings_low",
    "findings_info",
];

/// Writes the rows as CSV, the overflow row (principals past the cap) last.
pub fn write_csv(
    rows: &[PrincipalRow],
    overflow: Option<&PrincipalRow>,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_line(out, COLUMNS.iter().map(|c| c.to_string()).collect())?;
    for row in rows.iter().chain(overflow) {
        let list = |name: &str, values: &[ValueCount]| -> String {
            let mut cells: Vec<String> = values
                .iter()
                .map(|v| match &v.label {
                    Some(label) => format!("{} [{label}] ({})", v.value, v.events),
                    None => format!("{} ({})", v.value, v.events),
                })
                .collect();
            if let Some(other) = row.other_events.get(name) {
                cells.push(format!("+{other} events with other values"));
            }
            escape::csv(&cells.join("; "))
        };
        let finding = |severity: &str| row.findings.get(severity).copied().unwrap_or(0).to_string();
        write_line(
            out,
            vec![
                row.principal
                    .as_deref()
                    .map(escape::csv)
                    .unwrap_or_default(),
                row.events.to_string(),
                row.failed.to_string(),
                row.first_seen.clone().unwrap_or_default(),
                row.last_seen.clone().unwrap_or_default(),
                row.undated.to_string(),
                list("accounts", &row.accounts),
                list("regions", &row.regions),
                list("source_addresses", &row.source_addresses),
                list("long_term_access_keys", &row.long_term_access_keys),
                list("temporary_access_keys", &row.temporary_access_keys),
                list("user_agents", &row.user_agents),
                list("calls", &row.top_calls),
                finding("critical"),
                finding("high"),
                finding("medium"),
                finding("low"),
                finding("info"),
            ],
        )?;
    }
    Ok(())
}

fn write_line(out: &mut dyn Write, fields: Vec<String>) -> io::Result<()> {
    out.write_all(fields.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// The summary as reports render it: one row per principal, most events first, and the row of
/// the principals past the cap (`summary::Limits::principals`), if any.
#[derive(Debug, Clone, Default)]
pub struct Principals {
    pub rows: Vec<PrincipalRow>,
    pub overflow: Option<PrincipalRow>,
    /// Principals past the cap, all in `overflow`: how many is not known (they were not kept);
    /// the caps that applied.
    pub limits: crate::summary::Limits,
}

impl Principals {
    pub fn new(
        summary: &crate::summary::PrincipalSummary,
        enricher: Option<&crate::enrich::Enricher>,
    ) -> Principals {
        let (rows, overflow) = summary.rows(enricher);
        Principals {
            rows,
            overflow,
            limits: summary.limits(),
        }
    }
}

/// The JSON document: `{"version": 1, "principals": [...]}` (rows as `PrincipalRow` serializes
/// them), with `overflow` when more principals were seen than the summary keeps apart.
#[derive(Serialize)]
pub struct PrincipalsDocument<'a> {
    pub version: u32,
    pub principals: &'a [PrincipalRow],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overflow: Option<&'a PrincipalRow>,
}

pub fn write_json(
    rows: &[PrincipalRow],
    overflow: Option<&PrincipalRow>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let document = PrincipalsDocument {
        version: 1,
        principals: rows,
        overflow,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{Limits, PrincipalSummary};
    use serde_json::json;

    #[test]
    fn csv_lists_values_with_labels_and_counts() {
        let mut summary = PrincipalSummary::new(Limits::default());
        summary.add_event(&json!({
            "eventTime": "2024-05-01T00:00:00Z", "eventSource": "iam.amazonaws.com",
            "eventName": "CreateUser", "recipientAccountId": "111122223333",
            "sourceIPAddress": "=cmd()", "userAgent": "a, \"b\"",
            "userIdentity": {"arn": "arn:aws:iam::111122223333:user/alice"}}));
        let rows: Vec<PrincipalRow> = summary
            .principals()
            .into_iter()
            .map(|(p, a)| {
                PrincipalRow::new(p, a, &|list, value| {
                    (list == "accounts" && value == "111122223333").then(|| "prod".to_string())
                })
            })
            .collect();
        let mut out = Vec::new();
        write_csv(&rows, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "arn:aws:iam::111122223333:user/alice,1,0,2024-05-01T00:00:00Z,2024-05-01T00:00:00Z,0,111122223333 [prod] (1),,'=cmd() (1),,,\"a, \"\"b\"\" (1)\",iam:CreateUser (1),0,0,0,0,0"
        );
    }
}
