//! Native correlation rules: a trailgate rule file whose `correlation:` counts events, counts
//! distinct values, or requires several rules to match (in order or not) per group within a
//! window. The serde mirror of the file and its reading into a correlation draft; references
//! are resolved with every other rule (`rule::collection`). See docs/correlations.md.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{DuplicateKeyPolicy, Spanned};

use super::collection::{Dialect, Draft, DraftField, Generate};
use super::correlation::{parse_timespan, Correlation, CountCondition, CountOp, Kind};
use super::error::RuleError;
use super::load::RuleFile;
use super::spec::ExpectSpec;
use super::template::{Part, Template};
use super::Severity;

/// A native correlation rule: one per file. See docs/correlations.md.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "trailgate correlation rule")]
pub struct CorrelationRuleSpec {
    /// Unique, stable, kebab-case identifier (shared with per-event rules).
    #[schemars(with = "String", pattern(r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: Spanned<String>,
    /// What the correlation detects, in a few words.
    #[schemars(with = "String", length(min = 1))]
    pub title: Spanned<String>,
    /// How serious a finding is: info, low, medium, high or critical.
    #[schemars(with = "String", regex(pattern = r"^(info|low|medium|high|critical)$"))]
    pub severity: Spanned<String>,
    /// Why it matters.
    pub description: Option<String>,
    /// How to respond.
    pub remediation: Option<String>,
    /// Links for the reader.
    #[serde(default)]
    pub references: Vec<String>,
    /// Compliance framework to control id(s), as for per-event rules.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, super::spec::OneOrMany<String>>")]
    pub compliance: std::collections::BTreeMap<String, super::spec::OneOrMany<String>>,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What is counted, per group, within a window.
    #[schemars(with = "CorrelationSpec")]
    pub correlation: Spanned<CorrelationSpec>,
    /// The finding's message. Placeholders: group-by names (`{sourceIPAddress}`), `{count}`
    /// (events), `{distinct}` (distinct values), `{first}`, `{last}` (times), `{timespan}`.
    #[schemars(with = "Option<String>")]
    pub message: Option<Spanned<String>>,
    /// Test cases: several events and what the correlation must do with them.
    #[serde(default)]
    #[schemars(with = "Vec<CorrelationTestSpec>")]
    pub tests: Vec<Spanned<CorrelationTestSpec>>,
}

/// The correlation itself.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrelationSpec {
    /// `event_count`: events; `value_count`: distinct values of `field`; `temporal`: all the
    /// rules (or as many as `condition` says) in any order; `temporal_ordered`: in the order
    /// listed.
    #[serde(rename = "type")]
    #[schemars(with = "KindSpec")]
    pub kind: Spanned<String>,
    /// The ids of the rules (or correlations) whose matches are counted.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub rules: Spanned<Vec<String>>,
    /// What makes a group: a path (`$.sourceIPAddress`, named `sourceIPAddress`), or a named
    /// field with a different path per rule.
    #[schemars(with = "Option<Vec<GroupSpec>>")]
    pub group_by: Option<Spanned<Vec<GroupSpec>>>,
    /// `value_count`: the field whose distinct values are counted.
    #[schemars(with = "Option<GroupSpec>")]
    pub field: Option<Spanned<GroupSpec>>,
    /// The window: a whole number and s, m, h or d (`10m`).
    #[schemars(with = "String", regex(pattern = r"^[0-9]+[smhd]$"))]
    pub timespan: Spanned<String>,
    /// Comparisons the count must satisfy (`gte: 10`; `gt: 100` with `lte: 200` is a range).
    /// Required for `event_count` and `value_count`; the temporal types default to all rules.
    #[schemars(with = "Option<ConditionSpec>")]
    pub condition: Option<Spanned<ConditionSpec>>,
    /// Whether the rules listed also give findings of their own: `true` (the default: native
    /// rules stand on their own), `false` (helper rules that only feed correlations), or the
    /// list of those that do.
    #[serde(default)]
    #[schemars(with = "Option<GenerateSpec>")]
    pub generate: Option<GenerateSpec>,
}

/// `generate`: a boolean for all the rules listed, or the ids of those that give findings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum GenerateSpec {
    All(bool),
    Only(Vec<String>),
}

#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum KindSpec {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

/// A group-by field: a path, or a name with a path and per-rule paths.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum GroupSpec {
    Path(String),
    Named {
        /// The name messages and outputs use.
        name: String,
        /// The path in every rule's events, unless `per_rule` names another.
        path: Option<String>,
        /// Rule id -> path in that rule's events (or, for a correlation, its group-by name).
        #[serde(default)]
        per_rule: std::collections::BTreeMap<String, String>,
    },
}

/// Count comparisons.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    pub gt: Option<u64>,
    pub gte: Option<u64>,
    pub lt: Option<u64>,
    pub lte: Option<u64>,
    pub eq: Option<u64>,
}

/// A test case of a correlation: events (in any order) and the verdict.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrelationTestSpec {
    /// What the case shows; unique within the rule.
    #[schemars(with = "String", length(min = 1))]
    pub name: Spanned<String>,
    /// `finding` (at least one) or `none`.
    pub expect: ExpectSpec,
    /// The exact number of findings, when it matters.
    pub findings: Option<usize>,
    /// The events, each with its `eventTime`. The rules the correlation refers to decide which
    /// of them count.
    #[schemars(length(min = 1))]
    pub events: Vec<serde_json::Value>,
}

/// A correlation test case, compiled.
#[derive(Debug, Clone)]
pub struct CorrelationTest {
    pub name: String,
    /// `true`: at least one finding is expected.
    pub expect_finding: bool,
    pub findings: Option<usize>,
    pub events: Vec<serde_json::Value>,
    pub line: u64,
}

/// Placeholders a correlation message may use besides the group-by names.
pub const MESSAGE_FIELDS: [&str; 6] = ["count", "distinct", "first", "last", "timespan", "values"];

/// Reads a native correlation rule file into a draft and its test cases.
pub fn draft(file: &RuleFile) -> Result<(Draft, Vec<CorrelationTest>), Vec<RuleError>> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    let spec: CorrelationRuleSpec = serde_saphyr::from_str_with_options(&file.text, options)
        .map_err(|err| vec![RuleError::from_yaml(&file.name, &err)])?;
    let mut errors = Vec::new();
    let err = |at: &serde_saphyr::Location, key: &str, message: String| {
        RuleError::new(&file.name, at.line(), at.column(), key, message)
    };
    let id = spec.id.value.trim().to_string();
    let kebab = !id.is_empty()
        && id.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !kebab {
        errors.push(
            err(&spec.id.referenced, "id", format!("invalid rule id `{id}`")).with_help(
                "use lowercase letters and digits in groups separated by single hyphens",
            ),
        );
    }
    if spec.title.value.trim().is_empty() {
        errors.push(err(
            &spec.title.referenced,
            "title",
            "the title is empty".into(),
        ));
    }
    let severity: Severity = match spec.severity.value.parse() {
        Ok(s) => s,
        Err(_) => {
            errors.push(
                err(
                    &spec.severity.referenced,
                    "severity",
                    format!("unknown severity `{}`", spec.severity.value),
                )
                .with_help("one of info, low, medium, high, critical"),
            );
            Severity::Medium
        }
    };
    let c = &spec.correlation.value;
    let kind = match c.kind.value.as_str() {
        "event_count" => Kind::EventCount,
        "value_count" => Kind::EventCount, // made ValueCount when the field is resolved
        "temporal" => Kind::Temporal,
        "temporal_ordered" => Kind::TemporalOrdered,
        other => {
            errors.push(err(
                &c.kind.referenced,
                "correlation.type",
                format!("unknown correlation type `{other}`; expected event_count, value_count, temporal or temporal_ordered"),
            ));
            Kind::EventCount
        }
    };
    if c.rules.value.is_empty() {
        errors.push(err(
            &c.rules.referenced,
            "correlation.rules",
            "`rules` must name at least one rule".into(),
        ));
    }
    let timespan = parse_timespan(&c.timespan.value).unwrap_or_else(|message| {
        errors.push(err(&c.timespan.referenced, "correlation.timespan", message));
        0
    });
    let field = |group: &GroupSpec, line: u64| -> DraftField {
        match group {
            GroupSpec::Path(path) => DraftField {
                name: path.trim().trim_start_matches("$.").to_string(),
                default: Some(path.trim().to_string()),
                aliases: Vec::new(),
                line,
            },
            GroupSpec::Named {
                name,
                path,
                per_rule,
            } => DraftField {
                name: name.clone(),
                default: path.clone(),
                aliases: per_rule
                    .iter()
                    .map(|(r, p)| (r.clone(), p.clone()))
                    .collect(),
                line,
            },
        }
    };
    let group_line = c
        .group_by
        .as_ref()
        .map_or(spec.correlation.referenced.line(), |g| g.referenced.line());
    let group_by: Vec<DraftField> = c
        .group_by
        .iter()
        .flat_map(|g| g.value.iter())
        .map(|g| field(g, group_line))
        .collect();
    for (i, g) in group_by.iter().enumerate() {
        if group_by[..i].iter().any(|h| h.name == g.name) {
            errors.push(err(
                &spec.correlation.referenced,
                "correlation.group_by",
                format!("two group-by fields are named `{}`", g.name),
            ));
        }
    }
    let value_field = c
        .field
        .as_ref()
        .map(|f| field(&f.value, f.referenced.line()));
    let condition = c.condition.as_ref().map(|cond| {
        let v = &cond.value;
        let bounds: Vec<(CountOp, u64)> = [
            (CountOp::Gt, v.gt),
            (CountOp::Gte, v.gte),
            (CountOp::Lt, v.lt),
            (CountOp::Lte, v.lte),
            (CountOp::Eq, v.eq),
        ]
        .into_iter()
        .filter_map(|(op, n)| n.map(|n| (op, n)))
        .collect();
        if bounds.is_empty() {
            errors.push(err(
                &cond.referenced,
                "correlation.condition",
                "the condition needs a comparison: gt, gte, lt, lte or eq".into(),
            ));
        }
        CountCondition { bounds }
    });
    let kind_text = c.kind.value.as_str();
    match kind_text {
        "event_count" | "value_count" if condition.is_none() => errors.push(err(
            &spec.correlation.referenced,
            "correlation.condition",
            format!("a `{kind_text}` correlation needs a `condition` (`gte: 10`)"),
        )),
        "value_count" if value_field.is_none() => errors.push(err(
            &spec.correlation.referenced,
            "correlation.field",
            "a `value_count` correlation names the `field` whose distinct values it counts".into(),
        )),
        "event_count" | "temporal" | "temporal_ordered" if value_field.is_some() => {
            errors.push(err(
                &spec.correlation.referenced,
                "correlation.field",
                format!("`field` applies to value_count, not `{kind_text}`"),
            ))
        }
        _ => {}
    }
    if let Some(GenerateSpec::Only(ids)) = &c.generate {
        for id in ids {
            if !c.rules.value.contains(id) {
                errors.push(err(
                    &spec.correlation.referenced,
                    "correlation.generate",
                    format!("`generate` lists `{id}`, which is not in `rules`"),
                ));
            }
        }
    }
    let title = spec.title.value.trim().to_string();
    let message = match &spec.message {
        None => Template::literal(&title),
        Some(text) => {
            match Template::parse(&text.value) {
                Ok(template) => {
                    for part in &template.parts {
                        if let Part::Field(path) = part {
                            let first = path
                                .as_names()
                                .and_then(|n| n.first().map(|s| s.to_string()))
                                .unwrap_or_default();
                            let bare = path.text.trim_start_matches("$.");
                            let known = MESSAGE_FIELDS.contains(&bare)
                                || group_by.iter().any(|g| g.name == bare || g.name == first);
                            if !known {
                                errors.push(
                                err(
                                    &text.referenced,
                                    "message",
                                    format!("`{{{bare}}}` is neither a group-by name nor one of {}", MESSAGE_FIELDS.join(", ")),
                                )
                                .with_help("a correlation's message describes the group, not one event"),
                            );
                            }
                        }
                    }
                    template
                }
                Err(message) => {
                    errors.push(err(&text.referenced, "message", message));
                    Template::literal(&title)
                }
            }
        }
    };
    let mut tests = Vec::new();
    for case in &spec.tests {
        let name = case.value.name.value.trim().to_string();
        if tests.iter().any(|t: &CorrelationTest| t.name == name) {
            errors.push(err(
                &case.value.name.referenced,
                "tests.name",
                format!("two test cases are named `{name}`"),
            ));
        }
        let expect_finding = match case.value.expect {
            ExpectSpec::Finding => true,
            ExpectSpec::None => false,
            ExpectSpec::Suppressed => {
                errors.push(err(
                    &case.referenced,
                    "tests.expect",
                    "a correlation has no exceptions: expect `finding` or `none`".into(),
                ));
                false
            }
        };
        if case
            .value
            .findings
            .is_some_and(|n| (n > 0) != expect_finding)
        {
            errors.push(err(
                &case.referenced,
                "tests.findings",
                "`findings` contradicts `expect`".into(),
            ));
        }
        if case.value.events.is_empty() {
            errors.push(err(
                &case.referenced,
                "tests.events",
                "a test case needs events".into(),
            ));
        }
        tests.push(CorrelationTest {
            name,
            expect_finding,
            findings: case.value.findings,
            events: case.value.events.clone(),
            line: case.referenced.line(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        Draft {
            header: Correlation {
                id,
                title,
                severity,
                description: spec
                    .description
                    .clone()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                remediation: spec
                    .remediation
                    .clone()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                references: spec.references.clone(),
                compliance: spec
                    .compliance
                    .iter()
                    .map(|(framework, ids)| (framework.clone(), ids.0.clone()))
                    .collect(),
                tags: spec.tags.clone(),
                kind,
                inputs: Vec::new(),
                group_by: Vec::new(),
                timespan,
                condition: CountCondition { bounds: Vec::new() },
                message,
                file: file.name.clone(),
                line: spec.id.referenced.line(),
                pack: file.pack.clone(),
                sigma: None,
            },
            name: None,
            rules: c.rules.value.clone(),
            rules_line: c.rules.referenced.line(),
            group_by,
            value_field,
            condition,
            condition_line: c
                .condition
                .as_ref()
                .map_or(spec.correlation.referenced.line(), |c| c.referenced.line()),
            dialect: Dialect::Native,
            generate: match &c.generate {
                None => Generate::All(true),
                Some(GenerateSpec::All(all)) => Generate::All(*all),
                Some(GenerateSpec::Only(ids)) => Generate::Only(ids.clone()),
            },
        },
        tests,
    ))
}
