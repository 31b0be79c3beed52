//! Turns a `RuleSpec` (what the YAML said) into a `Rule` (what the engine runs), checking
//! everything that serde cannot: ids, severities, paths, regexes, CIDRs, templates and the shape
//! of each condition node. Every problem is collected, not just the first.

use regex::RegexBuilder;
use serde_saphyr::{Location, Spanned};

use super::cidr::Cidr;
use super::condition::{
    CompareOp, Condition, InterpolatedOp, ItemQuantifier, Literal, Predicate, Quantifier, Test,
    TextOp, TextView,
};
use super::error::{closest, RuleError};
use super::path::Path;
use super::spec::{
    ConditionSpec, EventsSpec, ItemsSpec, LiteralSpec, OutcomeSpec, QuantifierSpec, RuleSpec,
};
use super::spec::{ExpectSpec, TestCaseSpec};
use super::template::Template;
use super::{EventSelector, Exception, Expect, Outcome, Rule, Severity, TestCase, TestEvent};

/// Compiled regexes larger than this are rejected: a rule must not make the scan slow.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

const TEST_KEYS: [&str; 13] = [
    "exists",
    "is_null",
    "equals",
    "one_of",
    "regex",
    "contains",
    "starts_with",
    "ends_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "in_cidr",
];
const COMBINATOR_KEYS: [&str; 6] = ["all", "any", "not", "some", "every", "json"];

/// Compiles one parsed rule file. `file` names it in errors; `pack` is its directory.
pub fn compile(spec: RuleSpec, file: &str, pack: &str) -> Result<Rule, Vec<RuleError>> {
    let mut cx = Compiler {
        file,
        errors: Vec::new(),
        items_depth: 0,
    };
    let rule = cx.rule(spec, pack);
    if cx.errors.is_empty() {
        rule.ok_or_else(Vec::new)
    } else {
        Err(cx.errors)
    }
}

struct Compiler<'a> {
    file: &'a str,
    errors: Vec<RuleError>,
    /// How many `some`/`every` nodes enclose the condition being compiled (`@` needs one).
    items_depth: usize,
}

impl Compiler<'_> {
    fn error(&mut self, at: Location, key: &str, message: impl Into<String>, help: Option<String>) {
        let mut error = RuleError::new(self.file, at.line(), at.column(), key, message);
        error.help = help;
        self.errors.push(error);
    }

    fn rule(&mut self, spec: RuleSpec, pack: &str) -> Option<Rule> {
        let id = spec.id.value.trim().to_string();
        if !is_kebab_case(&id) {
            self.error(
                spec.id.referenced,
                "id",
                format!("rule id `{id}` is not kebab-case"),
                Some(
                    "use lowercase letters, digits and single hyphens, e.g. `my-org-root-login`"
                        .into(),
                ),
            );
        }
        if spec.title.value.trim().is_empty() {
            self.error(
                spec.title.referenced,
                "title",
                "the title is empty",
                Some("say in a few words what the rule detects".into()),
            );
        }
        let severity = match spec.severity.value.parse::<Severity>() {
            Ok(severity) => Some(severity),
            Err(message) => {
                let names: Vec<String> = Severity::ALL
                    .iter()
                    .map(|s| s.as_str().to_string())
                    .collect();
                let help = closest(&spec.severity.value, &names)
                    .map(|best| format!("did you mean `{best}`?"))
                    .unwrap_or_else(|| "use info, low, medium, high or critical".into());
                self.error(spec.severity.referenced, "severity", message, Some(help));
                None
            }
        };

        let selector = match &spec.events {
            Some(events) => self.selector(&events.value, events.referenced),
            None => EventSelector {
                sources: Vec::new(),
                names: Vec::new(),
                outcome: Outcome::Any,
            },
        };

        let condition = match &spec.condition {
            Some(condition) => self.condition(condition, "condition"),
            None => {
                if spec.events.is_none() {
                    self.error(
                        spec.id.referenced,
                        "condition",
                        "the rule has neither `events` nor `condition` and would match every event",
                        Some("add `events:` with an eventSource / eventName, a `condition:`, or both".into()),
                    );
                }
                Some(Condition::All(Vec::new()))
            }
        };

        let mut exceptions = Vec::new();
        for (i, exception) in spec.exceptions.iter().enumerate() {
            let key = format!("exceptions[{i}]");
            if exception.value.reason.value.trim().is_empty() {
                self.error(
                    exception.value.reason.referenced,
                    &format!("{key}.reason"),
                    "the reason is empty",
                    Some("say why events matching this exception are acceptable".into()),
                );
            }
            if let Some(condition) =
                self.condition(&exception.value.condition, &format!("{key}.condition"))
            {
                exceptions.push(Exception {
                    reason: exception.value.reason.value.trim().to_string(),
                    condition,
                });
            }
        }

        let message = match &spec.message {
            Some(message) => match Template::parse(&message.value) {
                Ok(template) => Some(template),
                Err(err) => {
                    self.error(message.referenced, "message", err, None);
                    None
                }
            },
            None => Some(Template::literal(spec.title.value.trim())),
        };

        let first_seen = match &spec.first_seen {
            Some(first_seen) => match super::first_seen::compile(first_seen, self.file) {
                Ok(first_seen) => Some(Some(first_seen)),
                Err(errors) => {
                    self.errors.extend(errors);
                    None
                }
            },
            None => Some(None),
        };
        let tests = self.tests(&spec.tests);
        for (framework, controls) in &spec.compliance {
            if controls.value.0.is_empty() || controls.value.0.iter().any(|c| c.trim().is_empty()) {
                self.error(
                    controls.referenced,
                    &format!("compliance.{framework}"),
                    format!("`{framework}` lists no control id (or an empty one)"),
                    Some("list the framework's control ids, e.g. `aws-securityhub: [AutoScaling.3]`, or remove the framework".into()),
                );
            }
        }

        Some(Rule {
            id,
            title: spec.title.value.trim().to_string(),
            severity: severity?,
            description: spec.description.unwrap_or_default().trim().to_string(),
            remediation: spec.remediation.unwrap_or_default().trim().to_string(),
            references: spec.references,
            compliance: spec
                .compliance
                .into_iter()
                .map(|(k, v)| (k, v.value.0))
                .collect(),
            tags: spec.tags,
            selector,
            condition: condition?,
            exceptions,
            first_seen: first_seen?,
            message: message?,
            file: self.file.to_string(),
            line: spec.id.referenced.line(),
            pack: pack.to_string(),
            tests,
            sigma: None,
        })
    }

    fn tests(&mut self, cases: &[Spanned<TestCaseSpec>]) -> Vec<TestCase> {
        let mut compiled = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, case) in cases.iter().enumerate() {
            let key = format!("tests[{i}]");
            let spec = &case.value;
            let name = spec.name.value.trim().to_string();
            if name.is_empty() {
                self.error(
                    spec.name.referenced,
                    &format!("{key}.name"),
                    "the test name is empty",
                    Some(
                        "say what the case shows, e.g. `root user creates a launch configuration`"
                            .into(),
                    ),
                );
            } else if !names.insert(name.clone()) {
                self.error(
                    spec.name.referenced,
                    &format!("{key}.name"),
                    format!("duplicate test name `{name}`"),
                    Some("give each case of a rule its own name".into()),
                );
            }
            let expect = match spec.expect {
                ExpectSpec::Finding => Expect::Finding,
                ExpectSpec::None => Expect::None,
                ExpectSpec::Suppressed => Expect::Suppressed,
            };
            if let (Some(message), false) = (&spec.message, expect == Expect::Finding) {
                self.error(
                    message.referenced,
                    &format!("{key}.message"),
                    "`message` is only checked when the case expects a finding",
                    Some("remove `message` or set `expect: finding`".into()),
                );
            }
            let event = match (&spec.event, &spec.event_file) {
                (Some(event), None) => {
                    if !event.is_object() {
                        self.error(
                            case.referenced,
                            &format!("{key}.event"),
                            "the event must be a mapping (a CloudTrail record)",
                            None,
                        );
                    }
                    Some(TestEvent::Inline(event.clone()))
                }
                (None, Some(file)) => Some(TestEvent::File(self.relative_to_rule(&file.value))),
                (Some(_), Some(file)) => {
                    self.error(
                        file.referenced,
                        &format!("{key}.event_file"),
                        "a case has both `event` and `event_file`",
                        Some("keep one of them".into()),
                    );
                    None
                }
                (None, None) => {
                    self.error(case.referenced, &key, "the case has no event", Some("add `event:` with a CloudTrail record, or `event_file:` with a path relative to the rule file".into()));
                    None
                }
            };
            if let Some(event) = event {
                compiled.push(TestCase {
                    name,
                    expect,
                    message: spec.message.as_ref().map(|m| m.value.trim().to_string()),
                    event,
                    line: case.referenced.line(),
                });
            }
        }
        compiled
    }

    fn relative_to_rule(&self, path: &str) -> std::path::PathBuf {
        let rule_dir = std::path::Path::new(self.file)
            .parent()
            .unwrap_or(std::path::Path::new(""));
        rule_dir.join(path)
    }

    fn selector(&mut self, events: &EventsSpec, at: Location) -> EventSelector {
        let mut list = |value: &Option<Spanned<super::spec::OneOrMany<String>>>,
                        key: &str|
         -> Vec<String> {
            let Some(value) = value else {
                return Vec::new();
            };
            let items: Vec<String> = value.value.0.iter().map(|s| s.trim().to_string()).collect();
            if items.is_empty() || items.iter().any(String::is_empty) {
                self.error(
                    value.referenced,
                    &format!("events.{key}"),
                    format!("`{key}` must be a non-empty name or a list of non-empty names"),
                    None,
                );
            }
            items
        };
        let sources = list(&events.event_source, "eventSource");
        let names = list(&events.event_name, "eventName");
        if events.event_source.is_none() && events.event_name.is_none() {
            self.error(
                at,
                "events",
                "`events` names neither an `eventSource` nor an `eventName`",
                Some("add `eventSource: service.amazonaws.com` and/or `eventName: ApiCall`, or remove `events`".into()),
            );
        }
        for source in &sources {
            if !source.is_empty() && !source.contains('.') {
                self.error(
                    events.event_source.as_ref().map_or(at, |s| s.referenced),
                    "events.eventSource",
                    format!("`{source}` does not look like an event source"),
                    Some(format!(
                        "event sources are service hostnames, e.g. `{source}.amazonaws.com`"
                    )),
                );
            }
        }
        let outcome = match events.outcome {
            None | Some(OutcomeSpec::Any) => Outcome::Any,
            Some(OutcomeSpec::Success) => Outcome::Success,
            Some(OutcomeSpec::Failure) => Outcome::Failure,
        };
        EventSelector {
            sources,
            names,
            outcome,
        }
    }

    fn condition(&mut self, node: &Spanned<ConditionSpec>, key: &str) -> Option<Condition> {
        let spec = &node.value;
        let at = node.referenced;
        let combinators: Vec<&str> = COMBINATOR_KEYS
            .iter()
            .copied()
            .filter(|k| match *k {
                "all" => spec.all.is_some(),
                "any" => spec.any.is_some(),
                "not" => spec.not.is_some(),
                "some" => spec.some.is_some(),
                "every" => spec.every.is_some(),
                _ => spec.json.is_some(),
            })
            .collect();
        let tests = present_tests(spec);
        let modifiers: Vec<&str> = [
            ("quantifier", spec.quantifier.is_some()),
            ("case_insensitive", spec.case_insensitive.is_some()),
            ("interpolate", spec.interpolate.is_some()),
        ]
        .iter()
        .filter(|(_, present)| *present)
        .map(|(k, _)| *k)
        .collect();

        match (
            combinators.as_slice(),
            spec.path.is_some(),
            tests.as_slice(),
        ) {
            ([], false, []) => {
                self.error(
                    at,
                    key,
                    "empty condition",
                    Some("write one of `all`, `any`, `not`, `some`, `every`, `json`, or a `path` with one test such as `equals`".into()),
                );
                None
            }
            ([combinator], false, []) => {
                if let Some(modifier) = modifiers.first() {
                    self.error(
                        at,
                        &format!("{key}.{modifier}"),
                        format!("`{modifier}` applies to a path test, not to `{combinator}`"),
                        Some(format!(
                            "move `{modifier}` into the predicates under `{combinator}`"
                        )),
                    );
                }
                self.combinator(spec, combinator, key)
            }
            ([_, _, ..], _, _) => {
                self.error(
                    at,
                    key,
                    format!(
                        "one condition node has several combinators: {}",
                        quote_list(&combinators)
                    ),
                    Some("put them in a list under `all:` or `any:`, one per item".into()),
                );
                None
            }
            ([combinator], _, _) => {
                self.error(
                    at,
                    key,
                    format!("`{combinator}` cannot be mixed with a path test in the same node"),
                    Some(format!("put the path test in its own item, e.g. under `all:` beside `{combinator}:`")),
                );
                None
            }
            ([], true, [test]) => self.predicate(spec, test, key).map(Condition::Predicate),
            ([], true, []) => {
                self.error(
                    at,
                    key,
                    "`path` has no test",
                    Some(format!("add one of: {}", TEST_KEYS.join(", "))),
                );
                None
            }
            ([], true, _) => {
                self.error(
                    at,
                    key,
                    format!("one path has several tests: {}", quote_list(&tests)),
                    Some("write one predicate per test under `all:` or `any:`".into()),
                );
                None
            }
            ([], false, [test, ..]) => {
                self.error(
                    at,
                    &format!("{key}.{test}"),
                    format!("`{test}` needs a `path` to test"),
                    Some("add `path: $.field.to.test` beside it".into()),
                );
                None
            }
        }
    }

    fn combinator(
        &mut self,
        spec: &ConditionSpec,
        combinator: &str,
        key: &str,
    ) -> Option<Condition> {
        match combinator {
            "all" | "any" => {
                let children = if combinator == "all" {
                    spec.all.as_ref()
                } else {
                    spec.any.as_ref()
                }?;
                let mut compiled = Vec::with_capacity(children.len());
                let mut ok = true;
                for (i, child) in children.iter().enumerate() {
                    match self.condition(child, &format!("{key}.{combinator}[{i}]")) {
                        Some(c) => compiled.push(c),
                        None => ok = false,
                    }
                }
                ok.then(|| {
                    if combinator == "all" {
                        Condition::All(compiled)
                    } else {
                        Condition::Any(compiled)
                    }
                })
            }
            "not" => {
                let inner = spec.not.as_ref()?;
                self.condition(inner, &format!("{key}.not"))
                    .map(|c| Condition::Not(Box::new(c)))
            }
            "json" => {
                let items = spec.json.as_ref()?;
                let key = format!("{key}.json");
                let path = self.path(&items.value.path, &format!("{key}.path"));
                // Inside `json`, `@` is the parsed document.
                self.items_depth += 1;
                let condition = self.condition(&items.value.condition, &format!("{key}.where"));
                self.items_depth -= 1;
                Some(Condition::Json {
                    path: path?,
                    condition: Box::new(condition?),
                })
            }
            _ => {
                let (items, quantifier) = if combinator == "some" {
                    (spec.some.as_ref()?, ItemQuantifier::Some)
                } else {
                    (spec.every.as_ref()?, ItemQuantifier::Every)
                };
                self.items(items, quantifier, &format!("{key}.{combinator}"))
            }
        }
    }

    fn items(
        &mut self,
        items: &Spanned<ItemsSpec>,
        quantifier: ItemQuantifier,
        key: &str,
    ) -> Option<Condition> {
        let path = self.path(&items.value.path, &format!("{key}.path"));
        self.items_depth += 1;
        let condition = self.condition(&items.value.condition, &format!("{key}.where"));
        self.items_depth -= 1;
        Some(Condition::Items {
            quantifier,
            path: path?,
            condition: Box::new(condition?),
        })
    }

    fn path(&mut self, path: &Spanned<String>, key: &str) -> Option<Path> {
        match Path::parse(&path.value) {
            Ok(parsed) if parsed.relative && self.items_depth == 0 => {
                self.error(
                    path.referenced,
                    key,
                    format!("`{}` starts with `@`, the current item, but no `some`, `every` or `json` encloses it", parsed.text),
                    Some(format!("use `${}` for a path from the event", &parsed.text[1..])),
                );
                None
            }
            Ok(parsed) => Some(parsed),
            Err(err) => {
                self.error(path.referenced, key, err, Some("paths are RFC 9535 JSONPath, e.g. `$.requestParameters.bucketName` or `@.ebs.encrypted` inside `where`".into()));
                None
            }
        }
    }

    fn predicate(&mut self, spec: &ConditionSpec, test_key: &str, key: &str) -> Option<Predicate> {
        let path_spec = spec.path.as_ref()?;
        let path = self.path(path_spec, &format!("{key}.path"));
        let case_insensitive = spec.case_insensitive.unwrap_or(false);
        let string_test = matches!(
            test_key,
            "equals" | "one_of" | "contains" | "starts_with" | "ends_with" | "regex"
        );
        if spec.case_insensitive.is_some() && !string_test {
            self.error(
                path_spec.referenced,
                &format!("{key}.case_insensitive"),
                format!("`case_insensitive` has no effect on `{test_key}`"),
                Some("remove it; it applies to equals, one_of, regex, contains, starts_with and ends_with".into()),
            );
        }
        if spec.quantifier.is_some() && test_key == "exists" {
            self.error(
                path_spec.referenced,
                &format!("{key}.quantifier"),
                "`exists` looks at whether anything is selected, so a quantifier has no effect",
                Some("remove `quantifier`".into()),
            );
        }
        let test_key_path = format!("{key}.{test_key}");
        if spec.interpolate == Some(true) {
            let test = self.interpolated(spec, test_key, &test_key_path, path_spec.referenced);
            let quantifier = match spec.quantifier {
                None | Some(QuantifierSpec::Any) => Quantifier::Any,
                Some(QuantifierSpec::All) => Quantifier::All,
                Some(QuantifierSpec::None) => Quantifier::None,
            };
            return Some(Predicate {
                path: path?,
                quantifier,
                test: test?,
                case_insensitive,
                text: TextView::Native,
            });
        }
        let test = match test_key {
            "exists" => spec.exists.map(Test::Exists),
            "is_null" => spec.is_null.map(Test::IsNull),
            "equals" => spec
                .equals
                .as_ref()
                .map(|v| Test::Equals(literal(&v.value, case_insensitive))),
            "one_of" => {
                let values = spec.one_of.as_ref()?;
                if values.value.is_empty() {
                    self.error(
                        values.referenced,
                        &test_key_path,
                        "`one_of` is empty and can never match",
                        Some("list at least one value".into()),
                    );
                    None
                } else {
                    Some(Test::OneOf(
                        values
                            .value
                            .iter()
                            .map(|v| literal(v, case_insensitive))
                            .collect(),
                    ))
                }
            }
            "regex" => {
                let pattern = spec.regex.as_ref()?;
                match RegexBuilder::new(&pattern.value)
                    .case_insensitive(case_insensitive)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                {
                    Ok(regex) => Some(Test::Regex(regex)),
                    Err(err) => {
                        self.error(
                            pattern.referenced,
                            &test_key_path,
                            format!("invalid regex: {}", regex_reason(&err)),
                            Some("regexes use Rust `regex` syntax (no look-around or backreferences); escape literal `.`, `(`, `[` with `\\`".into()),
                        );
                        None
                    }
                }
            }
            "contains" | "starts_with" | "ends_with" => {
                let (op, value) = match test_key {
                    "contains" => (TextOp::Contains, spec.contains.as_ref()?),
                    "starts_with" => (TextOp::StartsWith, spec.starts_with.as_ref()?),
                    _ => (TextOp::EndsWith, spec.ends_with.as_ref()?),
                };
                let value = if case_insensitive {
                    value.value.to_lowercase()
                } else {
                    value.value.clone()
                };
                Some(Test::Text { op, value })
            }
            "gt" | "gte" | "lt" | "lte" => {
                let (op, value) = match test_key {
                    "gt" => (CompareOp::Gt, spec.gt.as_ref()?),
                    "gte" => (CompareOp::Gte, spec.gte.as_ref()?),
                    "lt" => (CompareOp::Lt, spec.lt.as_ref()?),
                    _ => (CompareOp::Lte, spec.lte.as_ref()?),
                };
                if value.value.is_finite() {
                    Some(Test::Compare {
                        op,
                        value: value.value,
                    })
                } else {
                    self.error(
                        value.referenced,
                        &test_key_path,
                        "the bound must be a finite number",
                        None,
                    );
                    None
                }
            }
            _ => {
                let networks = spec.in_cidr.as_ref()?;
                let mut parsed = Vec::new();
                for text in &networks.value.0 {
                    match Cidr::parse(text) {
                        Ok(cidr) => parsed.push(cidr),
                        Err(err) => self.error(
                            networks.referenced,
                            &test_key_path,
                            err,
                            Some("write networks as `10.0.0.0/8` or `2001:db8::/32`".into()),
                        ),
                    }
                }
                if networks.value.0.is_empty() {
                    self.error(
                        networks.referenced,
                        &test_key_path,
                        "`in_cidr` is empty and can never match",
                        None,
                    );
                }
                (parsed.len() == networks.value.0.len() && !parsed.is_empty())
                    .then_some(Test::InCidr(parsed))
            }
        };
        let quantifier = match spec.quantifier {
            None | Some(QuantifierSpec::Any) => Quantifier::Any,
            Some(QuantifierSpec::All) => Quantifier::All,
            Some(QuantifierSpec::None) => Quantifier::None,
        };
        Some(Predicate {
            path: path?,
            quantifier,
            test: test?,
            case_insensitive,
            text: TextView::Native,
        })
    }
}

impl Compiler<'_> {
    /// `interpolate: true`: the text value of equals / contains / starts_with / ends_with is a
    /// template filled from the event.
    fn interpolated(
        &mut self,
        spec: &ConditionSpec,
        test_key: &str,
        key: &str,
        at: Location,
    ) -> Option<Test> {
        let (op, value) = match test_key {
            "equals" => (
                InterpolatedOp::Equals,
                match spec.equals.as_ref().map(|v| (&v.value, v.referenced)) {
                    Some((LiteralSpec::String(text), at)) => Some((text.clone(), at)),
                    _ => None,
                },
            ),
            "contains" => (
                InterpolatedOp::Text(TextOp::Contains),
                spec.contains
                    .as_ref()
                    .map(|v| (v.value.clone(), v.referenced)),
            ),
            "starts_with" => (
                InterpolatedOp::Text(TextOp::StartsWith),
                spec.starts_with
                    .as_ref()
                    .map(|v| (v.value.clone(), v.referenced)),
            ),
            "ends_with" => (
                InterpolatedOp::Text(TextOp::EndsWith),
                spec.ends_with
                    .as_ref()
                    .map(|v| (v.value.clone(), v.referenced)),
            ),
            _ => (InterpolatedOp::Equals, None),
        };
        let Some((text, value_at)) = value else {
            self.error(
                at,
                key,
                format!("`interpolate` applies to a text value of equals, contains, starts_with or ends_with, not to `{test_key}`"),
                Some("remove `interpolate`, or compare text built from the event with one of those tests".into()),
            );
            return None;
        };
        match Template::parse(&text) {
            Ok(template) => Some(Test::Interpolated { op, template }),
            Err(err) => {
                self.error(
                    value_at,
                    key,
                    format!("invalid interpolated value: {err}"),
                    Some("placeholders are `{path}` filled from the event, e.g. `user/{responseElements.accessKey.userName}`".into()),
                );
                None
            }
        }
    }
}

fn present_tests(spec: &ConditionSpec) -> Vec<&'static str> {
    let present = [
        spec.exists.is_some(),
        spec.is_null.is_some(),
        spec.equals.is_some(),
        spec.one_of.is_some(),
        spec.regex.is_some(),
        spec.contains.is_some(),
        spec.starts_with.is_some(),
        spec.ends_with.is_some(),
        spec.gt.is_some(),
        spec.gte.is_some(),
        spec.lt.is_some(),
        spec.lte.is_some(),
        spec.in_cidr.is_some(),
    ];
    TEST_KEYS
        .iter()
        .zip(present)
        .filter(|(_, p)| *p)
        .map(|(k, _)| *k)
        .collect()
}

fn literal(spec: &LiteralSpec, case_insensitive: bool) -> Literal {
    match spec {
        LiteralSpec::Null => Literal::Null,
        LiteralSpec::Bool(b) => Literal::Bool(*b),
        LiteralSpec::Int(i) => Literal::Int(*i),
        LiteralSpec::Float(x) => Literal::Float(*x),
        LiteralSpec::String(s) if case_insensitive => Literal::String(s.to_lowercase()),
        LiteralSpec::String(s) => Literal::String(s.clone()),
    }
}

/// The regex crate's one-line reason ("unclosed group"), without its multi-line caret drawing.
fn regex_reason(err: &regex::Error) -> String {
    if let regex::Error::CompiledTooBig(limit) = err {
        // A shared rule file must not make every scan slow or huge: the limit is fixed.
        return format!(
            "the compiled regex is larger than the {} MiB limit; use fewer or smaller repetitions",
            limit >> 20
        );
    }
    let text = err.to_string();
    text.lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .map_or_else(
            || text.split_whitespace().collect::<Vec<_>>().join(" "),
            str::to_string,
        )
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn quote_list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_ids() {
        assert!(is_kebab_case("autoscaling-root-launch-configuration"));
        assert!(is_kebab_case("cis-4-1"));
        assert!(!is_kebab_case("Root-Login"));
        assert!(!is_kebab_case("a--b"));
        assert!(!is_kebab_case("-a"));
        assert!(!is_kebab_case("a_b"));
    }
}
