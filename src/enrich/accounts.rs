//! Account names: the twelve-digit ids people do not know by heart, named from the JSON that
//! `aws organizations list-accounts` prints or from a two-column CSV (`id,name`).
//!
//! Any problem with the file is an error that names the file and the line (and the column where
//! the JSON parser knows it), so a typo in the list is never a silently missing name.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

/// Account id -> name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountNames {
    names: HashMap<String, String>,
}

/// A missing, unreadable or malformed accounts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountsError {
    pub file: String,
    /// 1-based; `None` when the whole file is at fault (missing, unreadable, empty).
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for AccountsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)
            }
            (Some(line), None) => write!(f, "{}:{line}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for AccountsError {}

/// The top level of `aws organizations list-accounts --output json`. Other fields (`NextToken`)
/// are ignored; the CLI follows pages itself unless told not to.
#[derive(Deserialize)]
struct ListAccounts {
    #[serde(rename = "Accounts")]
    accounts: Vec<ListedAccount>,
}

/// One account as the Organizations API describes it. Its other fields (`Arn`, `Email`,
/// `Status`, `JoinedMethod`, `JoinedTimestamp`) are not needed.
#[derive(Deserialize)]
struct ListedAccount {
    #[serde(rename = "Id", deserialize_with = "account_id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
}

fn account_id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let id = String::deserialize(deserializer)?;
    check_id(&id).map_err(serde::de::Error::custom)?;
    Ok(id)
}

/// An AWS account id is exactly twelve ASCII digits.
fn check_id(id: &str) -> Result<(), String> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is not an AWS account id (twelve digits, leading zeros kept)"
        ))
    }
}

impl AccountNames {
    /// Reads `path`: JSON when it ends in `.json` or starts with `{`, else CSV.
    pub fn load(path: &Path) -> Result<AccountNames, AccountsError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|err| AccountsError {
            file: file.clone(),
            line: None,
            column: None,
            message: format!("cannot read the accounts file: {err}"),
        })?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{');
        if json {
            AccountNames::from_json(&file, &text)
        } else {
            AccountNames::from_csv(&file, &text)
        }
    }

    /// Parses the output of `aws organizations list-accounts`.
    pub fn from_json(file: &str, text: &str) -> Result<AccountNames, AccountsError> {
        let list: ListAccounts = serde_json::from_str(text).map_err(|err| AccountsError {
            file: file.to_string(),
            line: (err.line() > 0).then_some(err.line() as u64),
            column: (err.column() > 0).then_some(err.column() as u64),
            message: format!(
                "not the JSON of `aws organizations list-accounts`: {}",
                strip_position(&err.to_string())
            ),
        })?;
        let mut names = AccountNames::default();
        for (i, account) in list.accounts.into_iter().enumerate() {
            names
                .insert(account.id, account.name)
                .map_err(|message| AccountsError {
                    file: file.to_string(),
                    line: line_of_id(text, i),
                    column: None,
                    message: format!("Accounts[{i}]: {message}"),
                })?;
        }
        Ok(names)
    }

    /// Parses `id,name` lines; a first line `id,name` (any case) is a header. Names may hold
    /// commas when quoted (RFC 4180).
    pub fn from_csv(file: &str, text: &str) -> Result<AccountNames, AccountsError> {
        let error = |line: u64, message: String| AccountsError {
            file: file.to_string(),
            line: Some(line),
            column: None,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut names = AccountNames::default();
        for (i, record) in reader.records().enumerate() {
            // The csv crate's line numbers skip blank lines; count them from the byte offset.
            let line_at = |position: Option<&csv::Position>| {
                let mut byte = position.map_or(0, |p| p.byte() as usize).min(text.len());
                // A record's position is where reading it began: before any blank lines.
                while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
                    byte += 1;
                }
                text.as_bytes()[..byte]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64
                    + 1
            };
            let record = record.map_err(|err| {
                let line = line_at(err.position());
                error(line, format!("not CSV: {err}"))
            })?;
            let line = line_at(record.position());
            if record.iter().all(str::is_empty) {
                continue;
            }
            if i == 0
                && record.len() == 2
                && record[0].eq_ignore_ascii_case("id")
                && record[1].eq_ignore_ascii_case("name")
            {
                continue;
            }
            if record.len() != 2 {
                return Err(error(
                    line,
                    format!(
                        "expected two fields (id,name), found {}; quote a name that holds a comma",
                        record.len()
                    ),
                ));
            }
            check_id(&record[0]).map_err(|message| error(line, message))?;
            names
                .insert(record[0].to_string(), record[1].to_string())
                .map_err(|message| error(line, message))?;
        }
        if names.names.is_empty() {
            return Err(AccountsError {
                file: file.to_string(),
                line: None,
                column: None,
                message: "no accounts: expected `id,name` lines".to_string(),
            });
        }
        Ok(names)
    }

    fn insert(&mut self, id: String, name: String) -> Result<(), String> {
        if name.trim().is_empty() {
            return Err(format!("account {id} has an empty name"));
        }
        if let Some(earlier) = self.names.get(&id) {
            if *earlier != name {
                return Err(format!(
                    "account {id} is named twice: `{earlier}` and `{name}`"
                ));
            }
        }
        self.names.insert(id, name);
        Ok(())
    }

    /// The name of an account id, if the file gave one.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// serde_json appends " at line L column C" to its messages; the error shows them already.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

/// The line of the `index`-th `"Id"` key in the document: good enough to point at the entry of
/// a well-formed list whose content is wrong (an empty or duplicate name).
fn line_of_id(text: &str, index: usize) -> Option<u64> {
    let offset = text.match_indices("\"Id\"").nth(index)?.0;
    Some(text[..offset].bytes().filter(|&b| b == b'\n').count() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: &str = r#"{
    "Accounts": [
        {
            "Id": "111122223333",
            "Arn": "arn:aws:organizations::111122223333:account/o-a1b2c3d4e5/111122223333",
            "Email": "payments@example.com",
            "Name": "prod-payments",
            "Status": "ACTIVE",
            "JoinedMethod": "CREATED",
            "JoinedTimestamp": "2020-03-01T10:00:00.000000+00:00"
        },
        {
            "Id": "012345678901",
            "Name": "sandbox"
        }
    ]
}"#;

    #[test]
    fn reads_list_accounts_json() {
        let names = AccountNames::from_json("a.json", LISTED).unwrap();
        assert_eq!(names.name("111122223333"), Some("prod-payments"));
        assert_eq!(names.name("012345678901"), Some("sandbox"));
        assert_eq!(names.name("999999999999"), None);
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn json_errors_name_line_and_column() {
        let bad_id = LISTED.replace("012345678901", "12345");
        let err = AccountNames::from_json("a.json", &bad_id).unwrap_err();
        assert_eq!(err.line, Some(13), "{err}");
        assert!(err.to_string().starts_with("a.json:13:"), "{err}");
        assert!(
            err.message.contains("`12345` is not an AWS account id"),
            "{err}"
        );

        let missing_name = r#"{"Accounts": [
  {"Id": "111122223333"}
]}"#;
        let err = AccountNames::from_json("a.json", missing_name).unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("missing field `Name`"), "{err}");

        let truncated = "{\"Accounts\": [\n  {\"Id\": \"111122223333\",";
        let err = AccountNames::from_json("a.json", truncated).unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");

        let twice = LISTED.replace("012345678901", "111122223333");
        let err = AccountNames::from_json("a.json", &twice).unwrap_err();
        assert_eq!(err.line, Some(13), "{err}");
        assert!(err.message.contains("named twice"), "{err}");
    }

    #[test]
    fn reads_csv_with_or_without_header() {
        let names = AccountNames::from_csv(
            "a.csv",
            "id,name\n111122223333,prod-payments\n\n012345678901,\"sandbox, old\"\n",
        )
        .unwrap();
        assert_eq!(names.name("111122223333"), Some("prod-payments"));
        assert_eq!(names.name("012345678901"), Some("sandbox, old"));
        let names = AccountNames::from_csv("a.csv", "111122223333,prod\r\n").unwrap();
        assert_eq!(names.name("111122223333"), Some("prod"));
    }

    #[test]
    fn csv_errors_name_the_line() {
        let err =
            AccountNames::from_csv("a.csv", "id,name\n111122223333,prod\n2222,dev\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.csv:3: `2222` is not an AWS account id (twelve digits, leading zeros kept)"
        );
        let err = AccountNames::from_csv("a.csv", "111122223333,prod\n\n\n222233334444,x,extra\n")
            .unwrap_err();
        assert_eq!(err.line, Some(4), "blank lines count: {err}");
        let err = AccountNames::from_csv("a.csv", "111122223333,prod,extra\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("expected two fields"), "{err}");
        let err = AccountNames::from_csv("a.csv", "111122223333,\n").unwrap_err();
        assert!(err.message.contains("empty name"), "{err}");
        let err = AccountNames::from_csv("a.csv", "id,name\n").unwrap_err();
        assert_eq!(err.line, None);
        assert!(err.message.contains("no accounts"), "{err}");
    }

    #[test]
    fn load_names_a_missing_file() {
        let err = AccountNames::load(Path::new("/nonexistent/accounts.csv")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/accounts.csv: cannot read"),
            "{err}"
        );
    }
}
