//! Loading rules together with the documents that refer to other rules: correlations (Sigma
//! correlation documents and native `correlation:` rules) and Sigma filters. Files may hold
//! several YAML documents (`---`); references resolve across all files loaded, by id or by Sigma
//! `name`. Every problem is a located `RuleError`; nothing is dropped silently.

use std::collections::{BTreeMap, BTreeSet};

use super::correlation::{
    topological_order, Correlation, CountCondition, FieldSource, GroupField, Input, Kind,
    CLOUDTRAIL_FIELDS,
};
use super::error::{closest, RuleError};
use super::load::{compile_files_with_notes, RuleFile, RuleNote};
use super::native_correlation::CorrelationTest;
use super::path::Path;
use super::sigma;
use super::{Condition, Rule};

/// Everything a set of rule files defines.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    /// Correlations, sorted by id; chains resolved and acyclic.
    pub correlations: Vec<Correlation>,
    pub notes: Vec<RuleNote>,
    /// Test cases of native correlations, by correlation id.
    pub correlation_tests: BTreeMap<String, Vec<CorrelationTest>>,
}

impl Loaded {
    /// Ids of rules and correlations that give no finding of their own (every correlation that
    /// refers to them has `generate: false`).
    pub fn quiet_ids(&self) -> std::collections::BTreeSet<&str> {
        super::correlation::quiet_ids(&self.correlations)
    }
}

/// What a filtered set of rule files runs: the rules and correlations the filter keeps, plus
/// those a kept correlation counts. Those kept only for a correlation, and those every
/// correlation counting them says `generate: false` for, run but give no findings of their own.
#[derive(Debug, Default)]
pub struct Selection {
    pub rules: Vec<Rule>,
    /// Sorted by id, as loaded.
    pub correlations: Vec<Correlation>,
    /// Ids of the rules and correlations that give no findings of their own.
    pub silent: BTreeSet<String>,
}

impl Loaded {
    /// The rules and correlations `filter` keeps, with what they need to run.
    pub fn select(self, filter: &super::filter::RuleFilter) -> Selection {
        let by_id: BTreeMap<&str, &Correlation> = self
            .correlations
            .iter()
            .map(|c| (c.id.as_str(), c))
            .collect();
        let kept: BTreeSet<&str> = self
            .correlations
            .iter()
            .filter(|c| filter.keeps_correlation(c))
            .map(|c| c.id.as_str())
            .collect();
        // Everything the kept correlations count, through chains.
        let mut needed: BTreeSet<&str> = BTreeSet::new();
        let mut pending: Vec<&str> = kept.iter().copied().collect();
        while let Some(id) = pending.pop() {
            let Some(correlation) = by_id.get(id) else {
                continue;
            };
            for input in &correlation.inputs {
                if needed.insert(input.id.as_str()) && input.chained {
                    pending.push(input.id.as_str());
                }
            }
        }
        let mut silent: BTreeSet<String> = BTreeSet::new();
        let keep_rule: Vec<bool> = self
            .rules
            .iter()
            .map(|r| {
                let own = filter.keeps(r);
                if !own && needed.contains(r.id.as_str()) {
                    silent.insert(r.id.clone());
                }
                own || needed.contains(r.id.as_str())
            })
            .collect();
        let keep_correlation: Vec<bool> = self
            .correlations
            .iter()
            .map(|c| {
                let own = kept.contains(c.id.as_str());
                if !own && needed.contains(c.id.as_str()) {
                    silent.insert(c.id.clone());
                }
                own || needed.contains(c.id.as_str())
            })
            .collect();
        let mut rules = self.rules;
        let mut flags = keep_rule.into_iter();
        rules.retain(|_| flags.next().unwrap_or(false));
        let mut correlations = self.correlations;
        let mut flags = keep_correlation.into_iter();
        correlations.retain(|_| flags.next().unwrap_or(false));
        silent.extend(
            super::correlation::quiet_ids(&correlations)
                .into_iter()
                .map(str::to_string),
        );
        Selection {
            rules,
            correlations,
            silent,
        }
    }
}

/// A correlation as a front end read it, references not yet resolved.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Everything but `inputs`, `group_by` and the `value_count` field, which resolution fills.
    pub header: Correlation,
    /// The Sigma `name`, another way to refer to it.
    pub name: Option<String>,
    pub rules: Vec<String>,
    pub rules_line: u64,
    pub group_by: Vec<DraftField>,
    /// The `value_count` field.
    pub value_field: Option<DraftField>,
    /// `None`: the default of the type (all inputs, for the temporal types).
    pub condition: Option<CountCondition>,
    pub condition_line: u64,
    pub dialect: Dialect,
    pub generate: Generate,
}

/// Which referenced rules keep giving findings of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generate {
    /// All of them (`true`) or none (`false`).
    All(bool),
    /// Those listed (native rules: ids as written in `rules`).
    Only(Vec<String>),
}

/// How field names are written: Sigma's dotted names or native JSONPaths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sigma,
    Native,
}

/// A group-by (or `value_count`) field before resolution.
#[derive(Debug, Clone)]
pub struct DraftField {
    pub name: String,
    /// The field read in every input's events unless an alias says otherwise; `None` when only
    /// aliases give it.
    pub default: Option<String>,
    /// Reference (as written, an id or a name) -> field.
    pub aliases: Vec<(String, String)>,
    pub line: u64,
}

/// A Sigma filter before resolution: its condition is added (`and`) to each rule it names.
#[derive(Debug, Clone)]
pub struct FilterDraft {
    pub title: String,
    /// `None`: every Sigma rule (`rules: any`).
    pub rules: Option<Vec<String>>,
    pub condition: Condition,
    pub file: String,
    pub line: u64,
}

/// Splits a file into its YAML documents: each comes back as the whole file's text with every
/// other document's lines blanked, so that line numbers in errors stay those of the file.
pub fn documents(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let is_separator = |line: &str| {
        let line = line.trim_end();
        line == "---" || line.starts_with("--- ") || line.starts_with("---\t")
    };
    let mut starts = vec![0];
    for (i, line) in lines.iter().enumerate() {
        if is_separator(line) {
            starts.push(i + 1);
        }
    }
    if starts.len() == 1 {
        return vec![text.to_string()];
    }
    let mut out = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(lines.len(), |next| next - 1);
        let body: String = lines[start..end].concat();
        if body
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let mut doc = "\n".repeat(start);
        doc.push_str(&body);
        out.push(doc);
    }
    out
}

fn top_level(text: &str, key: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    })
}

/// Parses, compiles and resolves every rule, correlation and filter in `files`.
pub fn compile_collection(files: &[RuleFile]) -> Result<Loaded, Vec<RuleError>> {
    let mut rule_docs = Vec::new();
    let mut drafts = Vec::new();
    let mut filters = Vec::new();
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    let mut correlation_tests = BTreeMap::new();
    // Sigma names of rule documents: name -> (rule id, file, line)
    let mut names: BTreeMap<String, (String, String, u64)> = BTreeMap::new();
    for file in files {
        let docs = documents(&file.text);
        let several = docs.len() > 1;
        for text in docs {
            let doc = RuleFile {
                name: file.name.clone(),
                text,
                pack: file.pack.clone(),
            };
            if top_level(&doc.text, "correlation") {
                let parsed = if top_level(&doc.text, "severity") {
                    super::native_correlation::draft(&doc)
                } else {
                    sigma::correlation::draft(&doc).map(|draft| (draft, Vec::new()))
                };
                match parsed {
                    Ok((draft, tests)) => {
                        if !tests.is_empty() {
                            correlation_tests.insert(draft.header.id.clone(), tests);
                        }
                        drafts.push(draft);
                    }
                    Err(mut errs) => errors.append(&mut errs),
                }
            } else if top_level(&doc.text, "filter") && top_level(&doc.text, "logsource") {
                match sigma::filter::draft(&doc) {
                    Ok(Some(filter)) => filters.push(filter),
                    Ok(None) => notes.push(RuleNote {
                        file: doc.name.clone(),
                        message: "Sigma filter not applicable: its logsource is not AWS CloudTrail"
                            .into(),
                    }),
                    Err(mut errs) => errors.append(&mut errs),
                }
            } else if several && !sigma::looks_like_sigma(&doc.text) {
                let line = doc
                    .text
                    .lines()
                    .position(|l| !l.trim().is_empty())
                    .unwrap_or(0);
                errors.push(
                    RuleError::new(
                        &doc.name,
                        line as u64 + 1,
                        1,
                        "",
                        "a file with several YAML documents may hold Sigma rules, correlations and filters, not native rules",
                    )
                    .with_help("put each native rule in a file of its own"),
                );
            } else {
                if let Some(name) = sigma::correlation::sigma_name(&doc.text) {
                    let id = sigma::correlation::sigma_rule_id(&doc);
                    let line = sigma::line_of_key(&doc.text, "name");
                    if let Some((_, first_file, first_line)) = names.get(&name) {
                        errors.push(
                            RuleError::new(&doc.name, line, 1, "name", format!("duplicate Sigma rule name `{name}`"))
                                .with_help(format!("`{name}` is already the name of the rule at {first_file}:{first_line}; names must be unique")),
                        );
                    } else {
                        names.insert(name, (id, doc.name.clone(), line));
                    }
                }
                rule_docs.push(doc);
            }
        }
    }
    let (mut rules, mut rule_notes) = match compile_files_with_notes(&rule_docs) {
        Ok(compiled) => compiled,
        Err(mut errs) => {
            errors.append(&mut errs);
            (Vec::new(), Vec::new())
        }
    };
    notes.append(&mut rule_notes);
    for draft in &drafts {
        if let Some(name) = &draft.name {
            if let Some((_, first_file, first_line)) = names.get(name) {
                errors.push(
                    RuleError::new(
                        &draft.header.file,
                        draft.header.line,
                        1,
                        "name",
                        format!("duplicate Sigma rule name `{name}`"),
                    )
                    .with_help(format!(
                        "`{name}` is already the name of the rule at {first_file}:{first_line}"
                    )),
                );
            } else {
                names.insert(
                    name.clone(),
                    (
                        draft.header.id.clone(),
                        draft.header.file.clone(),
                        draft.header.line,
                    ),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    apply_filters(&mut rules, &filters, &names, &mut errors);
    let correlations = resolve(&rules, &drafts, &names, &mut errors);
    if errors.is_empty() {
        Ok(Loaded {
            rules,
            correlations,
            notes,
            correlation_tests,
        })
    } else {
        Err(errors)
    }
}

fn apply_filters(
    rules: &mut [Rule],
    filters: &[FilterDraft],
    names: &BTreeMap<String, (String, String, u64)>,
    errors: &mut Vec<RuleError>,
) {
    for filter in filters {
        let targets: Vec<String> = match &filter.rules {
            None => rules
                .iter()
                .filter(|r| r.sigma.is_some())
                .map(|r| r.id.clone())
                .collect(),
            Some(references) => {
                let mut targets = Vec::new();
                for reference in references {
                    let id = lookup_rule(reference, rules, names);
                    match id {
                        Some(id) => targets.push(id),
                        None => errors.push(unknown_reference(
                            &filter.file,
                            filter.line,
                            "filter.rules",
                            reference,
                            rules
                                .iter()
                                .map(|r| r.id.clone())
                                .chain(names.keys().cloned()),
                        )),
                    }
                }
                targets
            }
        };
        for rule in rules.iter_mut() {
            if targets.contains(&rule.id) {
                let original = std::mem::replace(&mut rule.condition, Condition::All(Vec::new()));
                rule.condition = Condition::All(vec![original, filter.condition.clone()]);
            }
        }
    }
}

/// The id of the per-event rule a reference (id, Sigma id or Sigma name) names.
fn lookup_rule(
    reference: &str,
    rules: &[Rule],
    names: &BTreeMap<String, (String, String, u64)>,
) -> Option<String> {
    let lower = reference.trim().to_lowercase();
    rules
        .iter()
        .find(|r| {
            r.id == reference
                || r.id == lower
                || r.sigma
                    .as_ref()
                    .and_then(|m| m.id.as_deref())
                    .is_some_and(|id| id.eq_ignore_ascii_case(reference.trim()))
        })
        .map(|r| r.id.clone())
        .or_else(|| {
            names
                .get(reference)
                .map(|(id, _, _)| id.clone())
                .filter(|id| rules.iter().any(|r| &r.id == id))
        })
}

fn unknown_reference(
    file: &str,
    line: u64,
    key: &str,
    reference: &str,
    known: impl Iterator<Item = String>,
) -> RuleError {
    let known: Vec<String> = known.collect();
    let error = RuleError::new(
        file,
        line,
        1,
        key,
        format!("unknown rule reference `{reference}`: no rule or correlation loaded has this id or name"),
    );
    match closest(reference, &known) {
        Some(near) => error.with_help(format!("did you mean `{near}`?")),
        None => {
            error.with_help("load the file that defines it with `--rules`, or fix the id or name")
        }
    }
}

/// What a reference resolved to.
#[derive(Clone, Copy)]
enum Target {
    Rule(usize),
    Correlation(usize),
}

fn resolve(
    rules: &[Rule],
    drafts: &[Draft],
    names: &BTreeMap<String, (String, String, u64)>,
    errors: &mut Vec<RuleError>,
) -> Vec<Correlation> {
    let rule_index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut draft_index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        let id = draft.header.id.as_str();
        if let Some(&first) = draft_index.get(id) {
            errors.push(duplicate(
                &draft.header,
                &drafts[first].header.file,
                drafts[first].header.line,
            ));
        } else if let Some(&rule) = rule_index.get(id) {
            errors.push(duplicate(
                &draft.header,
                &rules[rule].file,
                rules[rule].line,
            ));
        } else {
            draft_index.insert(id, i);
        }
    }
    let known = || {
        rules
            .iter()
            .map(|r| r.id.clone())
            .chain(drafts.iter().map(|d| d.header.id.clone()))
            .chain(names.keys().cloned())
    };
    let find = |reference: &str| -> Option<Target> {
        let trimmed = reference.trim();
        let lower = trimmed.to_lowercase();
        if let Some(&i) = draft_index
            .get(trimmed)
            .or_else(|| draft_index.get(lower.as_str()))
        {
            return Some(Target::Correlation(i));
        }
        if let Some(id) = lookup_rule(trimmed, rules, names) {
            return rule_index.get(id.as_str()).map(|&i| Target::Rule(i));
        }
        let (id, _, _) = names.get(trimmed)?;
        draft_index
            .get(id.as_str())
            .map(|&i| Target::Correlation(i))
    };
    // references first: the chain's shape must be known before fields are resolved
    let mut targets: Vec<Vec<(String, Target)>> = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let mut resolved: Vec<(String, Target)> = Vec::new();
        for reference in &draft.rules {
            match find(reference) {
                Some(target) => {
                    let same = |t: &Target| match (t, &target) {
                        (Target::Rule(a), Target::Rule(b))
                        | (Target::Correlation(a), Target::Correlation(b)) => a == b,
                        _ => false,
                    };
                    if resolved.iter().any(|(_, t)| same(t)) {
                        errors.push(
                            RuleError::new(
                                &draft.header.file,
                                draft.rules_line,
                                1,
                                "correlation.rules",
                                format!("`{reference}` is referenced twice"),
                            )
                            .with_help("list each rule once"),
                        );
                    } else {
                        resolved.push((reference.clone(), target));
                    }
                }
                None => errors.push(unknown_reference(
                    &draft.header.file,
                    draft.rules_line,
                    "correlation.rules",
                    reference,
                    known(),
                )),
            }
        }
        targets.push(resolved);
    }
    if !errors.is_empty() {
        return Vec::new();
    }
    let edges = |i: usize| -> Vec<usize> {
        targets[i]
            .iter()
            .filter_map(|(_, t)| match t {
                Target::Correlation(c) => Some(*c),
                Target::Rule(_) => None,
            })
            .collect()
    };
    if let Err(cycle) = topological_order(drafts.len(), edges) {
        let first = &drafts[cycle[0]].header;
        let path: Vec<&str> = cycle
            .iter()
            .chain(std::iter::once(&cycle[0]))
            .map(|&i| drafts[i].header.id.as_str())
            .collect();
        errors.push(
            RuleError::new(
                &first.file,
                drafts[cycle[0]].rules_line,
                1,
                "correlation.rules",
                format!(
                    "correlations refer to each other in a cycle: {}",
                    path.join(" -> ")
                ),
            )
            .with_help("a correlation can build on others, but never on itself"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (draft, resolved) in drafts.iter().zip(&targets) {
        let inputs: Vec<Input> = resolved
            .iter()
            .map(|(written, target)| match target {
                Target::Rule(i) => Input {
                    id: rules[*i].id.clone(),
                    chained: false,
                    written: written.clone(),
                    generate: generates(&draft.generate, written),
                },
                Target::Correlation(i) => Input {
                    id: drafts[*i].header.id.clone(),
                    chained: true,
                    written: written.clone(),
                    generate: generates(&draft.generate, written),
                },
            })
            .collect();
        let upstream_groups = |target: &Target| -> Option<Vec<String>> {
            match target {
                Target::Correlation(i) => {
                    Some(drafts[*i].group_by.iter().map(|f| f.name.clone()).collect())
                }
                Target::Rule(_) => None,
            }
        };
        let field = |spec: &DraftField,
                     key: &str,
                     errors: &mut Vec<RuleError>|
         -> Option<GroupField> {
            let mut sources = Vec::new();
            for (written, target) in resolved {
                let ids = input_names(written, target, rules, drafts);
                let alias = spec
                    .aliases
                    .iter()
                    .find(|(reference, _)| ids.iter().any(|id| id == reference))
                    .map(|(_, f)| f.clone());
                let Some(text) = alias.or_else(|| spec.default.clone()) else {
                    errors.push(
                        RuleError::new(
                            &draft.header.file,
                            spec.line,
                            1,
                            key,
                            format!("`{}` names no field for `{written}`", spec.name),
                        )
                        .with_help(format!(
                            "add an alias for `{written}` under `{}`",
                            spec.name
                        )),
                    );
                    return None;
                };
                match upstream_groups(target) {
                    Some(groups) => {
                        let bare = text.strip_prefix("$.").unwrap_or(&text);
                        match groups.iter().position(|g| g == &text || g == bare) {
                            Some(at) => sources.push(FieldSource::Group(at)),
                            None => {
                                errors.push(RuleError::new(
                                    &draft.header.file,
                                    spec.line,
                                    1,
                                    key,
                                    format!(
                                        "`{text}` is not a group-by field of the correlation `{written}`, so its findings cannot have it (it groups by {})",
                                        if groups.is_empty() { "nothing".to_string() } else { groups.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ") }
                                    ),
                                ).with_help("a correlation that builds on another can group only by that one's group-by fields (or an alias of them)"));
                                return None;
                            }
                        }
                    }
                    None => match event_path(&text, draft.dialect) {
                        Ok(path) => {
                            let first = path
                                .as_names()
                                .and_then(|n| n.first().map(|s| s.to_string()))
                                .unwrap_or_default();
                            if !CLOUDTRAIL_FIELDS.contains(&first.as_str()) {
                                let fields: Vec<String> =
                                    CLOUDTRAIL_FIELDS.iter().map(|s| s.to_string()).collect();
                                let error = RuleError::new(
                                    &draft.header.file,
                                    spec.line,
                                    1,
                                    key,
                                    format!("`{text}` is not a CloudTrail field: no event that `{written}` matches can have it"),
                                );
                                errors.push(match closest(&first, &fields) {
                                    Some(near) => error.with_help(format!("did you mean `{near}`?")),
                                    None => error.with_help("CloudTrail records have `userIdentity`, `sourceIPAddress`, `eventName`, `requestParameters`, ...; use an alias to read a different field per rule"),
                                });
                                return None;
                            }
                            sources.push(FieldSource::Event(path));
                        }
                        Err(message) => {
                            errors.push(RuleError::new(
                                &draft.header.file,
                                spec.line,
                                1,
                                key,
                                message,
                            ));
                            return None;
                        }
                    },
                }
            }
            for (reference, _) in &spec.aliases {
                let used = resolved.iter().any(|(written, target)| {
                    input_names(written, target, rules, drafts)
                        .iter()
                        .any(|n| n == reference)
                });
                if !used {
                    errors.push(RuleError::new(
                        &draft.header.file,
                        spec.line,
                        1,
                        key,
                        format!("the alias of `{}` names `{reference}`, which this correlation does not refer to", spec.name),
                    ).with_help("aliases map the names of the correlation's own rules"));
                    return None;
                }
            }
            Some(GroupField {
                name: spec.name.clone(),
                sources,
            })
        };
        let before = errors.len();
        let group_by: Vec<GroupField> = draft
            .group_by
            .iter()
            .filter_map(|spec| field(spec, "correlation.group-by", errors))
            .collect();
        let mut correlation = draft.header.clone();
        if let Some(spec) = &draft.value_field {
            if let Some(value) = field(spec, "correlation.condition.field", errors) {
                correlation.kind = Kind::ValueCount { field: value };
            }
        }
        if errors.len() > before {
            continue;
        }
        let condition = match &draft.condition {
            Some(condition) => condition.clone(),
            None => CountCondition::at_least(inputs.len() as u64),
        };
        if condition.is_empty() {
            errors.push(RuleError::new(
                &draft.header.file,
                draft.condition_line,
                1,
                "correlation.condition",
                format!("the condition `{condition}` holds for no count"),
            ));
            continue;
        }
        correlation.inputs = inputs;
        correlation.group_by = group_by;
        correlation.condition = condition;
        out.push(correlation);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn generates(generate: &Generate, written: &str) -> bool {
    match generate {
        Generate::All(all) => *all,
        Generate::Only(listed) => listed.iter().any(|l| l == written),
    }
}

/// The ways an input may be named in an alias: as written, its id, its Sigma id and name.
fn input_names(written: &str, target: &Target, rules: &[Rule], drafts: &[Draft]) -> Vec<String> {
    let mut names = vec![written.to_string()];
    match target {
        Target::Rule(i) => {
            names.push(rules[*i].id.clone());
            if let Some(id) = rules[*i].sigma.as_ref().and_then(|m| m.id.clone()) {
                names.push(id);
            }
        }
        Target::Correlation(i) => {
            names.push(drafts[*i].header.id.clone());
            names.extend(drafts[*i].name.clone());
        }
    }
    names
}

/// A field read from events: Sigma writes dotted names, native rules member JSONPaths.
fn event_path(text: &str, dialect: Dialect) -> Result<Path, String> {
    match dialect {
        Dialect::Sigma => {
            let names: Vec<&str> = text.split('.').collect();
            if names.iter().any(|n| n.is_empty()) {
                return Err(format!("`{text}` is not a field name"));
            }
            Ok(Path::from_names(&names))
        }
        Dialect::Native => {
            let path = Path::parse(text)?;
            if path.relative || path.as_names().is_none() {
                return Err(format!(
                    "`{text}` is not a plain member path: group-by and counted fields are written `$.a.b`"
                ));
            }
            Ok(path)
        }
    }
}

fn duplicate(header: &Correlation, first_file: &str, first_line: u64) -> RuleError {
    RuleError::new(
        &header.file,
        header.line,
        1,
        "id",
        format!("duplicate rule id `{}`", header.id),
    )
    .with_help(format!(
        "`{}` is already defined at {first_file}:{first_line}; rule ids must be unique, so rename one",
        header.id
    ))
}

#[cfg(test)]
mod tests {
    use super::documents;

    #[test]
    fn documents_keep_their_lines() {
        let text = "a: 1\n---\nb: 2\nc: 3\n--- # second\n\n---\nd: 4\n";
        let docs = documents(text);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], "a: 1\n");
        assert_eq!(docs[1], "\n\nb: 2\nc: 3\n");
        assert_eq!(docs[2].lines().position(|l| l == "d: 4"), Some(7));
        assert_eq!(documents("x: 1\n"), vec!["x: 1\n".to_string()]);
    }
}
