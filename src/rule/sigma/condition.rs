//! Sigma's `condition` expressions: `and`, `or`, `not`, parentheses, `1 of` / `all of` a name
//! pattern or `them`. Aggregations (`| count()`) and `near` are rejected with a clear message.

/// A parsed condition expression over selection names.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Name(String),
    /// `1 of pattern` (`pattern` is `them` or a name with `*` wildcards).
    AnyOf(String),
    /// `all of pattern`.
    AllOf(String),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Open,
    Close,
}

/// Parses one condition. Precedence: `not` binds tighter than `and`, which binds tighter than `or`.
pub fn parse(text: &str) -> Result<Expr, String> {
    if text.contains('|') {
        return Err(format!(
            "aggregations in conditions (`{}`) are not supported; Sigma correlation rules and `| count()` need state across events",
            text.trim()
        ));
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    if let Some(token) = parser.tokens.get(parser.at) {
        return Err(format!(
            "unexpected `{}` in condition `{}`",
            token_text(token),
            text.trim()
        ));
    }
    Ok(expr)
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' | ' ' | '\t' | '\n' | '\r' => {
                if !word.is_empty() {
                    tokens.push(Token::Word(std::mem::take(&mut word)));
                }
                match c {
                    '(' => tokens.push(Token::Open),
                    ')' => tokens.push(Token::Close),
                    _ => {}
                }
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.') => word.push(c),
            other => {
                return Err(format!(
                    "unexpected character `{other}` in condition `{}`",
                    text.trim()
                ))
            }
        }
    }
    if !word.is_empty() {
        tokens.push(Token::Word(word));
    }
    if tokens.is_empty() {
        return Err("the condition is empty".into());
    }
    Ok(tokens)
}

fn token_text(token: &Token) -> &str {
    match token {
        Token::Word(w) => w,
        Token::Open => "(",
        Token::Close => ")",
    }
}

/// Deepest nesting of `(` and `not` in a condition: the parser and every later walk of the tree
/// recurse, so a hostile condition (`not not not ...` 100,000 times) must stop here, not overflow
/// the stack. Real conditions nest a few levels.
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// `(` and `not` currently open.
    depth: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.peek_word() == Some("or") {
            self.at += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.unary()?];
        while self.peek_word() == Some("and") {
            self.at += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or("the condition ends too early")?;
        self.at += 1;
        let nests = matches!(&token, Token::Open) || matches!(&token, Token::Word(w) if w == "not");
        if nests {
            if self.depth == MAX_DEPTH {
                return Err(format!(
                    "the condition nests `(` and `not` more than {MAX_DEPTH} levels deep; simplify it"
                ));
            }
            self.depth += 1;
        }
        let expr = self.unary_after(token);
        if nests {
            self.depth -= 1;
        }
        expr
    }

    fn unary_after(&mut self, token: Token) -> Result<Expr, String> {
        match token {
            Token::Open => {
                let inner = self.or()?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err("missing `)` in condition".into()),
                }
            }
            Token::Close => Err("unexpected `)` in condition".into()),
            Token::Word(word) => match word.as_str() {
                "not" => Ok(Expr::Not(Box::new(self.unary()?))),
                "1" | "all" | "any" if self.peek_word() == Some("of") => {
                    self.at += 1;
                    let pattern = self
                        .peek_word()
                        .ok_or(format!("`{word} of` needs a name pattern or `them`"))?
                        .to_string();
                    self.at += 1;
                    Ok(if word == "all" {
                        Expr::AllOf(pattern)
                    } else {
                        Expr::AnyOf(pattern)
                    })
                }
                "near" => Err(
                    "`near` (temporal proximity) is not supported: it needs state across events"
                        .into(),
                ),
                "and" | "or" | "of" => Err(format!("`{word}` where a selection name was expected")),
                _ => Ok(Expr::Name(word)),
            },
        }
    }
}

/// Does a selection name match a `1 of` pattern (`them` matches every name)?
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    if pattern == "them" {
        return true;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_nesting_is_an_error_not_a_stack_overflow() {
        let nots = format!("{}selection", "not ".repeat(100_000));
        assert!(parse(&nots).unwrap_err().contains("more than 64 levels"));
        let parens = format!("{}selection{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&parens).unwrap_err().contains("more than 64 levels"));
        let fine = format!("{}selection{}", "(not ".repeat(32), ")".repeat(32));
        assert!(parse(&fine).is_ok());
    }

    fn name(n: &str) -> Expr {
        Expr::Name(n.into())
    }

    #[test]
    fn precedence_and_parentheses() {
        assert_eq!(
            parse("a or b and not c").unwrap(),
            Expr::Or(vec![
                name("a"),
                Expr::And(vec![name("b"), Expr::Not(Box::new(name("c")))])
            ])
        );
        assert_eq!(
            parse("(a or b) and c").unwrap(),
            Expr::And(vec![Expr::Or(vec![name("a"), name("b")]), name("c")])
        );
    }

    #[test]
    fn of_forms() {
        assert_eq!(
            parse("selection and not 1 of filter_main_*").unwrap(),
            Expr::And(vec![
                name("selection"),
                Expr::Not(Box::new(Expr::AnyOf("filter_main_*".into())))
            ])
        );
        assert_eq!(parse("all of them").unwrap(), Expr::AllOf("them".into()));
    }

    #[test]
    fn unsupported_and_malformed() {
        assert!(parse("sel | count() > 5")
            .unwrap_err()
            .contains("aggregations"));
        assert!(parse("a near b").unwrap_err().contains("near"));
        assert!(parse("(a or b").unwrap_err().contains("missing `)`"));
        assert!(parse("a and").unwrap_err().contains("ends too early"));
        assert!(parse("a b").unwrap_err().contains("unexpected `b`"));
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("filter_*", "filter_main"));
        assert!(!pattern_matches("filter_*", "selection"));
        assert!(pattern_matches("sel*_status*", "selection_status_null"));
        assert!(pattern_matches("them", "anything"));
        assert!(pattern_matches("exact", "exact"));
    }
}
