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

    /// The rules this filter keeps, in their order.
    pub fn apply(&self, rules: Vec<Rule>) -> Vec<Rule> {
        rules.into_iter().filter(|r| self.keeps(r)).collect()
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
