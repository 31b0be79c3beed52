//! The correlation model: rules that judge a group of events within a time window instead of
//! one event. Both front ends (Sigma correlation documents, native `correlation:` rules) compile
//! into it; the correlation stage (`crate::correlate`) evaluates it. Like the condition AST it
//! knows nothing of YAML or of the JSON library, so that its meaning does not depend on what
//! produced it. The exact semantics are in docs/correlations.md.

use std::fmt;

use super::path::Path;
use super::severity::Severity;
use super::template::Template;

/// A compiled, validated correlation rule. References are resolved: every input names a rule
/// or a correlation that was loaded, and chains have no cycle.
#[derive(Debug, Clone)]
pub struct Correlation {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    /// What to do about a finding (native correlations; empty for Sigma).
    pub remediation: String,
    pub references: Vec<String>,
    /// Framework name to control ids, as for per-event rules.
    pub compliance: std::collections::BTreeMap<String, Vec<String>>,
    pub tags: Vec<String>,
    pub kind: Kind,
    /// The rules (or correlations) whose matches are counted, in the order written
    /// (`temporal_ordered` requires that order in time).
    pub inputs: Vec<Input>,
    /// The fields whose values together name a group; each names one field per input.
    pub group_by: Vec<GroupField>,
    /// Window length in seconds: events fit in one window when the last is less than
    /// `timespan` seconds after the first.
    pub timespan: u64,
    pub condition: CountCondition,
    /// The finding's message; placeholders name group-by fields (`{sourceIPAddress}`) and
    /// `{count}`, `{window}`.
    pub message: Template,
    pub file: String,
    pub line: u64,
    pub pack: String,
    /// Sigma's metadata when the correlation came from a Sigma document.
    pub sigma: Option<super::sigma::SigmaMeta>,
}

impl Correlation {
    /// What it counts, in one line: `event_count of aws-console-login-failed by sourceIPAddress
    /// within 10m, >= 10`.
    pub fn summary(&self) -> String {
        let inputs: Vec<&str> = self.inputs.iter().map(|i| i.id.as_str()).collect();
        let what = match &self.kind {
            Kind::ValueCount { field } => format!("value_count of {}", field.name),
            other => other.key().to_string(),
        };
        let by = if self.group_by.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = self.group_by.iter().map(|g| g.name.as_str()).collect();
            format!(" by {}", names.join(", "))
        };
        let condition = if self.condition.bounds.is_empty() {
            String::new()
        } else {
            format!(", {}", self.condition)
        };
        format!(
            "{what} over {}{by} within {}{condition}",
            inputs.join(", "),
            format_timespan(self.timespan)
        )
    }
}

/// What a correlation measures in a window.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// The number of matching events.
    EventCount,
    /// The number of distinct values of a field (one path per input).
    ValueCount { field: GroupField },
    /// The number of distinct inputs that matched (default condition: all of them).
    Temporal,
    /// The length of the longest prefix of the inputs that matched in the order written, each
    /// no earlier than the one before (default condition: all of them).
    TemporalOrdered,
}

impl Kind {
    /// The Sigma name of the type (`event_count`, ...), also the native spelling.
    pub fn key(&self) -> &'static str {
        match self {
            Kind::EventCount => "event_count",
            Kind::ValueCount { .. } => "value_count",
            Kind::Temporal => "temporal",
            Kind::TemporalOrdered => "temporal_ordered",
        }
    }

    /// The Kind of a window computation, without its field.
    pub fn measure(&self) -> Measure {
        match self {
            Kind::EventCount => Measure::Events,
            Kind::ValueCount { .. } => Measure::DistinctValues,
            Kind::Temporal => Measure::DistinctInputs,
            Kind::TemporalOrdered => Measure::OrderedPrefix,
        }
    }
}

/// What is counted in a window, independent of where the values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    Events,
    DistinctValues,
    DistinctInputs,
    OrderedPrefix,
}

/// One referenced rule or correlation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The id of the referenced rule or correlation (after name resolution).
    pub id: String,
    /// Whether it is a correlation (a chain) or a per-event rule.
    pub chained: bool,
    /// The reference as written (an id or a Sigma `name`), for messages.
    pub written: String,
    /// Whether the referenced rule still gives findings of its own (Sigma's `generate`). A rule
    /// is quiet when every input that refers to it says `false`.
    pub generate: bool,
}

/// A group-by field (or the `value_count` field): its name, and the field it reads in the
/// events (or the group of the findings) of each input, aliases applied.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupField {
    pub name: String,
    /// One per input, in input order.
    pub sources: Vec<FieldSource>,
}

/// Where one input's value of a group field comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// A member path into the event (`$.sourceIPAddress`).
    Event(Path),
    /// A group-by field of a referenced correlation (chaining), by position in its `group_by`.
    Group(usize),
}

/// Comparisons that the measured value must all satisfy (`gt: 100` and `lte: 200` is a range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountCondition {
    pub bounds: Vec<(CountOp, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CountOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

impl CountOp {
    pub const ALL: [CountOp; 5] = [
        CountOp::Gt,
        CountOp::Gte,
        CountOp::Lt,
        CountOp::Lte,
        CountOp::Eq,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CountOp::Gt => "gt",
            CountOp::Gte => "gte",
            CountOp::Lt => "lt",
            CountOp::Lte => "lte",
            CountOp::Eq => "eq",
        }
    }

    pub fn from_key(key: &str) -> Option<CountOp> {
        CountOp::ALL.into_iter().find(|op| op.key() == key)
    }

    pub fn holds(self, value: u64, bound: u64) -> bool {
        match self {
            CountOp::Gt => value > bound,
            CountOp::Gte => value >= bound,
            CountOp::Lt => value < bound,
            CountOp::Lte => value <= bound,
            CountOp::Eq => value == bound,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            CountOp::Gt => ">",
            CountOp::Gte => ">=",
            CountOp::Lt => "<",
            CountOp::Lte => "<=",
            CountOp::Eq => "=",
        }
    }
}

impl CountCondition {
    /// `gte: n`: the default of `temporal` and `temporal_ordered` (all `n` inputs).
    pub fn at_least(n: u64) -> CountCondition {
        CountCondition {
            bounds: vec![(CountOp::Gte, n)],
        }
    }

    pub fn holds(&self, value: u64) -> bool {
        self.bounds
            .iter()
            .all(|(op, bound)| op.holds(value, *bound))
    }

    /// Whether no value can satisfy it (`gt: 5, lt: 3`): a load error.
    pub fn is_empty(&self) -> bool {
        let mut low = 0u64;
        let mut high = u64::MAX;
        for &(op, n) in &self.bounds {
            match op {
                CountOp::Gt => low = low.max(n.saturating_add(1)),
                CountOp::Gte => low = low.max(n),
                CountOp::Lt => {
                    if n == 0 {
                        return true;
                    }
                    high = high.min(n - 1);
                }
                CountOp::Lte => high = high.min(n),
                CountOp::Eq => {
                    low = low.max(n);
                    high = high.min(n);
                }
            }
        }
        low > high
    }
}

impl fmt::Display for CountCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .bounds
            .iter()
            .map(|(op, n)| format!("{} {n}", op.symbol()))
            .collect();
        f.write_str(&parts.join(" and "))
    }
}

/// Parses a timespan: a positive whole number and a unit, `s`, `m`, `h` or `d` (Sigma's format,
/// lowercase), into seconds.
pub fn parse_timespan(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || {
        format!("invalid timespan `{text}`: write a positive whole number and a unit, s, m, h or d (`90m`, `1h`)")
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let number: u64 = digits.parse().map_err(|_| bad())?;
    if number == 0 {
        return Err(format!(
            "invalid timespan `{text}`: a window must last at least one second"
        ));
    }
    number
        .checked_mul(factor)
        .filter(|&secs| secs <= 366 * 86_400)
        .ok_or_else(|| format!("invalid timespan `{text}`: longer than a year (366d)"))
}

/// Writes seconds back as the largest exact unit (`600` -> `10m`).
pub fn format_timespan(secs: u64) -> String {
    for (unit, factor) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs % factor == 0 {
            return format!("{}{unit}", secs / factor);
        }
    }
    format!("{secs}s")
}

/// Top-level members of a CloudTrail record. A group-by field must start with one of them, or
/// no event could have it (a Windows `User` field in a correlation over CloudTrail rules).
pub const CLOUDTRAIL_FIELDS: &[&str] = &[
    "additionalEventData",
    "addendum",
    "apiVersion",
    "awsRegion",
    "edgeDeviceDetails",
    "errorCode",
    "errorMessage",
    "eventCategory",
    "eventID",
    "eventName",
    "eventSource",
    "eventTime",
    "eventType",
    "eventVersion",
    "insightDetails",
    "managementEvent",
    "readOnly",
    "recipientAccountId",
    "requestID",
    "requestParameters",
    "resources",
    "responseElements",
    "serviceEventDetails",
    "sessionCredentialFromConsole",
    "sharedEventID",
    "sourceIPAddress",
    "tlsDetails",
    "userAgent",
    "userIdentity",
    "vpcEndpointAccountId",
    "vpcEndpointId",
];

/// Orders correlations so that each comes after every correlation it refers to; `None` names a
/// correlation on a cycle. `refs(i)` lists the indexes a correlation refers to.
pub fn topological_order(
    count: usize,
    refs: impl Fn(usize) -> Vec<usize>,
) -> Result<Vec<usize>, Vec<usize>> {
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; count];
    let mut order = Vec::with_capacity(count);
    for start in 0..count {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(start, refs(start), 0)];
        state[start] = 1;
        while let Some((node, children, next)) = stack.last_mut() {
            if let Some(&child) = children.get(*next) {
                *next += 1;
                match state[child] {
                    0 => {
                        state[child] = 1;
                        let grandchildren = refs(child);
                        stack.push((child, grandchildren, 0));
                    }
                    1 => {
                        let at = stack.iter().position(|(n, _, _)| *n == child).unwrap_or(0);
                        return Err(stack[at..].iter().map(|(n, _, _)| *n).collect());
                    }
                    _ => {}
                }
            } else {
                state[*node] = 2;
                order.push(*node);
                stack.pop();
            }
        }
    }
    Ok(order)
}

/// Ids (rules and correlations) that give no finding of their own: every correlation that
/// refers to them says `generate: false`.
pub fn quiet_ids(correlations: &[Correlation]) -> std::collections::BTreeSet<&str> {
    let mut generate: std::collections::BTreeMap<&str, bool> = std::collections::BTreeMap::new();
    for correlation in correlations {
        for input in &correlation.inputs {
            *generate.entry(input.id.as_str()).or_insert(false) |= input.generate;
        }
    }
    generate
        .into_iter()
        .filter(|(_, generate)| !generate)
        .map(|(id, _)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("90m"), Ok(5400));
        assert_eq!(parse_timespan("1d"), Ok(86_400));
        assert_eq!(parse_timespan("30s"), Ok(30));
        for bad in [
            "", "m", "10", "1H", "1.5h", "-1m", "0s", "1w", "1 h", "400d",
        ] {
            assert!(parse_timespan(bad).is_err(), "{bad}");
        }
        assert_eq!(format_timespan(5400), "90m");
        assert_eq!(format_timespan(7200), "2h");
        assert_eq!(format_timespan(61), "61s");
    }

    #[test]
    fn conditions_and_ranges() {
        let range = CountCondition {
            bounds: vec![(CountOp::Gt, 100), (CountOp::Lte, 200)],
        };
        assert!(!range.holds(100) && range.holds(101) && range.holds(200) && !range.holds(201));
        assert_eq!(range.to_string(), "> 100 and <= 200");
        assert!(!range.is_empty());
        let empty = CountCondition {
            bounds: vec![(CountOp::Gt, 5), (CountOp::Lt, 3)],
        };
        assert!(empty.is_empty());
        assert!(CountCondition {
            bounds: vec![(CountOp::Lt, 0)]
        }
        .is_empty());
        assert!(CountCondition::at_least(3).holds(3));
    }

    #[test]
    fn cycles_are_found() {
        let edges = [vec![1], vec![2], vec![]];
        assert_eq!(
            topological_order(3, |i| edges[i].clone()),
            Ok(vec![2, 1, 0])
        );
        let cyclic = [vec![1], vec![2], vec![0]];
        let cycle = topological_order(3, |i| cyclic[i].clone()).unwrap_err();
        assert_eq!(cycle, vec![0, 1, 2]);
        let self_loop = [vec![0]];
        assert_eq!(topological_order(1, |i| self_loop[i].clone()), Err(vec![0]));
    }
}
