//! Choosing rules by pack, tag, severity and compliance framework (`rules list`, `scan`).

use super::correlation::Correlation;
use super::{Rule, Severity};

/// What a rule must have to be kept. Empty lists keep everything; within one list any value
/// matches, and every list must match.
#[derive(Debug, Clone, Default)]
pub struct RuleFilter {
    /// Packs (`aws/cis`), or a parent of packs (`aws` keeps `aws/cis` and `aws/threats`).
    pub packs: Vec<String>,
    /// Tags (`iam`, `attack.t1078`), compared exactly.
    pub tags: Vec<String>,
    /// The least severity kept.
    pub min_severity: Option<Severity>,
    /// Compliance frameworks: a key of `compliance` (`cis-aws-foundations-v5.0.0`), or its name
    /// without the version (`cis-aws-foundations` keeps every CIS version).
    pub frameworks: Vec<String>,
    /// Leave out `first_seen` rules: the recommended default does without a state store, where
    /// they could only learn from the run itself (`rule::recommended`).
    pub without_first_seen: bool,
    /// Leave out rules that read `$.trailgate.geo`: the recommended default without `--geoip`,
    /// where they would see no place and raise nothing.
    pub without_geoip: bool,
}

impl RuleFilter {
    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
            && self.tags.is_empty()
            && self.min_severity.is_none()
            && self.frameworks.is_empty()
            && !self.without_first_seen
            && !self.without_geoip
    }

    pub fn keeps(&self, rule: &Rule) -> bool {
        if self.without_first_seen && rule.first_seen.is_some() {
            return false;
        }
        if self.without_geoip && super::annotation::reads(rule).reads(super::annotation::GEO) {
            return false;
        }
        self.keeps_parts(
            &rule.pack,
            &rule.tags,
            rule.severity,
            rule.compliance.keys(),
        )
    }

    /// Whether a correlation is kept, by the same criteria as a rule (its own pack, tags,
    /// severity and compliance, not those of the rules it counts).
    pub fn keeps_correlation(&self, correlation: &Correlation) -> bool {
        self.keeps_parts(
            &correlation.pack,
            &correlation.tags,
            correlation.severity,
            correlation.compliance.keys(),
        )
    }

    fn keeps_parts<'a>(
        &self,
        rule_pack: &str,
        rule_tags: &[String],
        rule_severity: Severity,
        mut rule_frameworks: impl Iterator<Item = &'a String>,
    ) -> bool {
        let pack = self.packs.is_empty()
            || self.packs.iter().any(|p| {
                let p = p.trim_end_matches('/');
                rule_pack == p || rule_pack.starts_with(&format!("{p}/"))
            });
        let tag = self.tags.is_empty() || self.tags.iter().any(|t| rule_tags.contains(t));
        let severity = self.min_severity.is_none_or(|min| rule_severity >= min);
        let framework = self.frameworks.is_empty()
            || rule_frameworks.any(|key| {
                self.frameworks
                    .iter()
                    .any(|f| key == f || key.starts_with(&format!("{f}-")))
            });
        pack && tag && severity && framework
    }

    /// The values of `packs`, `tags` and `frameworks` that no rule or correlation among those
    /// loaded carries, each with what was loaded in its place: a typo there would otherwise
    /// select nothing and let a gate pass with no rules run.
    pub fn unmatched(&self, rules: &[Rule], correlations: &[Correlation]) -> Vec<Unmatched> {
        let mut packs = std::collections::BTreeSet::new();
        let mut tags = std::collections::BTreeSet::new();
        let mut frameworks = std::collections::BTreeSet::new();
        let parts = rules
            .iter()
            .map(|r| (&r.pack, &r.tags, &r.compliance))
            .chain(
                correlations
                    .iter()
                    .map(|c| (&c.pack, &c.tags, &c.compliance)),
            );
        for (pack, rule_tags, compliance) in parts {
            // A pack and every pack above it (`aws/cis` and `aws`).
            let mut at = pack.as_str();
            loop {
                packs.insert(at.to_string());
                match at.rfind('/') {
                    Some(slash) => at = &at[..slash],
                    None => break,
                }
            }
            tags.extend(rule_tags.iter().cloned());
            frameworks.extend(compliance.keys().cloned());
        }
        let mut out = Vec::new();
        for pack in &self.packs {
            if !packs.contains(pack.trim_end_matches('/')) {
                out.push(Unmatched::new("pack", pack, &packs));
            }
        }
        for tag in &self.tags {
            if !tags.contains(tag) {
                out.push(Unmatched::new("tag", tag, &tags));
            }
        }
        for framework in &self.frameworks {
            let found = frameworks
                .iter()
                .any(|key| key == framework || key.starts_with(&format!("{framework}-")));
            if !found {
                out.push(Unmatched::new("framework", framework, &frameworks));
            }
        }
        out
    }

    /// The rules this filter keeps, in their order.
    pub fn apply(&self, rules: Vec<Rule>) -> Vec<Rule> {
        rules.into_iter().filter(|r| self.keeps(r)).collect()
    }
}

/// A filter value (`--pack`, `--tag`, `--framework`) that names nothing loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// `pack`, `tag` or `framework`: the flag without its dashes, and the config key.
    pub kind: &'static str,
    pub value: String,
    /// The closest loaded value, when one is close enough to be the intended one.
    pub closest: Option<String>,
    /// Every loaded value of this kind, sorted.
    pub known: Vec<String>,
    /// Where the value was given, when a configuration file gave it (`file:line:column`);
    /// `None` for the command line.
    pub origin: Option<String>,
}

impl Unmatched {
    fn new(kind: &'static str, value: &str, known: &std::collections::BTreeSet<String>) -> Self {
        let known: Vec<String> = known.iter().cloned().collect();
        // A pack's last part alone (`cis` for `aws/cis`), or a framework's name cut short
        // (`cis-aws-foundation` for `cis-aws-foundations`, every version), are the likeliest
        // slips.
        let closest = known
            .iter()
            .find(|k| kind == "pack" && k.rsplit('/').next() == Some(value))
            .cloned()
            .or_else(|| {
                let key = known
                    .iter()
                    .find(|k| kind == "framework" && k.starts_with(value))?;
                Some(framework_name(key).to_string())
            })
            .or_else(|| super::error::closest(value, &known).map(str::to_string));
        Unmatched {
            kind,
            value: value.to_string(),
            closest,
            known,
            origin: None,
        }
    }
}

/// A compliance key without its version (`cis-aws-foundations` for
/// `cis-aws-foundations-v5.0.0`), the name `--framework` takes for every version.
fn framework_name(key: &str) -> &str {
    match key.rfind("-v") {
        Some(at) if key[at + 2..].starts_with(|c: char| c.is_ascii_digit()) => &key[..at],
        _ => key,
    }
}

impl std::fmt::Display for Unmatched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = match self.kind {
            "pack" => "packs",
            "tag" => "tags",
            _ => "frameworks",
        };
        let (kind, value) = (self.kind, &self.value);
        match &self.origin {
            Some(origin) => write!(f, "{origin}: `{kind}`: `{value}`")?,
            None => write!(f, "--{kind} `{value}`")?,
        }
        write!(f, " matches no loaded rule, so it would select nothing")?;
        if let Some(closest) = &self.closest {
            write!(f, "\n  help: did you mean `{closest}`?")?;
        }
        const SHOWN: usize = 30;
        let mut known = self.known.iter().take(SHOWN).map(|k| format!("`{k}`"));
        let list = known.by_ref().collect::<Vec<_>>().join(", ");
        let more = self.known.len().saturating_sub(SHOWN);
        write!(f, "\n  help: the loaded {plural}: {list}")?;
        if more > 0 {
            write!(f, " and {more} more (`trailgate rules list` shows them)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::load::{compile_files, RuleFile};

    fn rule(pack: &str, severity: &str, tags: &str, compliance: &str) -> Rule {
        let text = format!(
            "id: r\ntitle: R\nseverity: {severity}\ntags: [{tags}]\ncompliance: {{{compliance}}}\nevents: {{eventName: X}}\n"
        );
        let file = RuleFile {
            name: "r.yaml".into(),
            text,
            pack: pack.into(),
        };
        compile_files(&[file]).expect("valid rule").remove(0)
    }

    #[test]
    fn values_that_name_nothing_loaded_are_unmatched() {
        let rules = [
            rule(
                "aws/cis",
                "low",
                "aws, cis",
                "cis-aws-foundations-v5.0.0: ['4.1']",
            ),
            rule("aws/threats", "high", "iam", "nist-800-53-r5: [AC-2]"),
        ];
        let filter = RuleFilter {
            packs: ["aws", "aws/cis/", "cis", "aws/ci"]
                .map(String::from)
                .to_vec(),
            tags: ["iam", "IAM"].map(String::from).to_vec(),
            frameworks: [
                "cis-aws-foundations",
                "cis-aws-foundations-v5.0.0",
                "nist",
                "pci",
                "cis-aws-foundation",
            ]
            .map(String::from)
            .to_vec(),
            ..RuleFilter::default()
        };
        let unmatched = filter.unmatched(&rules, &[]);
        let got: Vec<(&str, &str, Option<&str>)> = unmatched
            .iter()
            .map(|u| (u.kind, u.value.as_str(), u.closest.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("pack", "cis", Some("aws/cis")),
                ("pack", "aws/ci", Some("aws/cis")),
                ("tag", "IAM", Some("iam")),
                ("framework", "pci", None),
                (
                    "framework",
                    "cis-aws-foundation",
                    Some("cis-aws-foundations")
                ),
            ]
        );
        assert_eq!(unmatched[0].known, ["aws", "aws/cis", "aws/threats"]);
        assert!(RuleFilter::default().unmatched(&rules, &[]).is_empty());
    }

    #[test]
    fn filters_combine() {
        let cis = rule(
            "aws/cis",
            "low",
            "aws, cis",
            "cis-aws-foundations-v5.0.0: ['4.1']",
        );
        let threat = rule(
            "aws/threats",
            "high",
            "aws, iam",
            "panther: [AWS.IAM.CreateUser]",
        );
        let keep = |f: &RuleFilter| (f.keeps(&cis), f.keeps(&threat));
        assert_eq!(keep(&RuleFilter::default()), (true, true));
        let packs = |p: &[&str]| RuleFilter {
            packs: p.iter().map(|s| s.to_string()).collect(),
            ..RuleFilter::default()
        };
        assert_eq!(keep(&packs(&["aws/cis"])), (true, false));
        assert_eq!(keep(&packs(&["aws"])), (true, true));
        assert_eq!(keep(&packs(&["aw"])), (false, false));
        let tags = RuleFilter {
            tags: vec!["iam".into()],
            ..RuleFilter::default()
        };
        assert_eq!(keep(&tags), (false, true));
        let severe = RuleFilter {
            min_severity: Some(Severity::Medium),
            ..RuleFilter::default()
        };
        assert_eq!(keep(&severe), (false, true));
        let framework = |f: &str| RuleFilter {
            frameworks: vec![f.into()],
            ..RuleFilter::default()
        };
        assert_eq!(keep(&framework("cis-aws-foundations")), (true, false));
        assert_eq!(
            keep(&framework("cis-aws-foundations-v5.0.0")),
            (true, false)
        );
        assert_eq!(keep(&framework("cis-aws-foundations-v5")), (false, false));
        assert_eq!(keep(&framework("panther")), (false, true));
        let both = RuleFilter {
            packs: vec!["aws/threats".into()],
            min_severity: Some(Severity::Critical),
            ..RuleFilter::default()
        };
        assert_eq!(keep(&both), (false, false));
    }
}
