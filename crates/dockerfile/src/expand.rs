//! Variable expansion and word splitting with the Dockerfile reference's rules
//! (the shell lexer of Docker's builder, not a real shell):
//!
//! * `$NAME` and `${NAME}` expand to the variable's value, or to nothing when it is unset;
//! * `${NAME:-word}` / `${NAME-word}`: `word` when NAME is unset or empty / unset;
//! * `${NAME:+word}` / `${NAME+word}`: `word` when NAME is set and not empty / set, else nothing;
//! * `${NAME:?msg}` / `${NAME?msg}`: an error with `msg` when NAME is unset or empty / unset;
//! * `word` is itself expanded; the escape character (`\` or the `# escape=` directive's)
//!   makes the next character literal (`\$HOME` is `$HOME`);
//! * single quotes keep everything literal, double quotes keep spaces but still expand;
//!   quotes are removed from the result.

use std::fmt;

/// Why a word could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError(pub String);

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where variable values come from.
pub trait Lookup {
    /// The value of `name`, `None` when it is not set.
    fn get(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// Expands `text` as one word (quotes removed, spaces kept).
pub fn expand_word(text: &str, env: &dyn Lookup, escape: char) -> Result<String, ExpandError> {
    let mut lx = Lexer::new(text, env, escape);
    let words = lx.words(false)?;
    Ok(words.into_iter().next().unwrap_or_default())
}

/// Expands `text` and splits it into words at unquoted white space.
pub fn expand_words(
    text: &str,
    env: &dyn Lookup,
    escape: char,
) -> Result<Vec<String>, ExpandError> {
    Lexer::new(text, env, escape).words(true)
}

/// Splits `text` into words at unquoted white space, removing quotes and escapes, with no
/// variable expansion (`$` stays as it is).
pub fn split_words(text: &str, escape: char) -> Result<Vec<String>, ExpandError> {
    let none = |_: &str| None;
    let mut lx = Lexer::new(text, &none, escape);
    lx.expand = false;
    lx.words(true)
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    env: &'a dyn Lookup,
    escape: char,
    expand: bool,
}

impl<'a> Lexer<'a> {
    fn new(text: &str, env: &'a dyn Lookup, escape: char) -> Self {
        Lexer {
            chars: text.chars().collect(),
            pos: 0,
            env,
            escape,
            expand: true,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads words until the end (or until `stop` for nested words).
    fn words(&mut self, split: bool) -> Result<Vec<String>, ExpandError> {
        let mut words = Vec::new();
        let mut cur = String::new();
        let mut in_word = false;
        while let Some(c) = self.peek() {
            if split && c.is_whitespace() {
                self.pos += 1;
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                continue;
            }
            in_word = true;
            self.unit(&mut cur, None)?;
        }
        if in_word || (!split && words.is_empty()) {
            words.push(cur);
        }
        Ok(words)
    }

    /// Reads one lexical unit (a character, a quoted string, an escape or a variable) into
    /// `out`. `stop` is the character that ends a nested word (`}`), not consumed.
    fn unit(&mut self, out: &mut String, stop: Option<char>) -> Result<(), ExpandError> {
        let Some(c) = self.next() else { return Ok(()) };
        if c == self.escape {
            match self.next() {
                Some(n) => out.push(n),
                None => out.push(c),
            }
        } else if c == '\'' {
            loop {
                match self.next() {
                    Some('\'') => break,
                    Some(n) => out.push(n),
                    None => {
                        return Err(ExpandError(
                            "unexpected end of statement while looking for matching single-quote"
                                .into(),
                        ))
                    }
                }
            }
        } else if c == '"' {
            loop {
                match self.next() {
                    Some('"') => break,
                    Some(n) if n == self.escape => match self.peek() {
                        Some(m) if m == '"' || m == '$' || m == self.escape => {
                            self.pos += 1;
                            out.push(m);
                        }
                        _ => out.push(n),
                    },
                    Some('$') if self.expand => self.variable(out)?,
                    Some(n) => out.push(n),
                    None => {
                        return Err(ExpandError(
                            "unexpected end of statement while looking for matching double-quote"
                                .into(),
                        ))
                    }
                }
            }
        } else if c == '$' && self.expand {
            self.variable(out)?;
        } else {
            let _ = stop;
            out.push(c);
        }
        Ok(())
    }

    /// After a `$`: a name, a `${...}` form, or a literal `$`.
    fn variable(&mut self, out: &mut String) -> Result<(), ExpandError> {
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                self.braced(out)
            }
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                let name = self.name();
                out.push_str(&self.env.get(&name).unwrap_or_default());
                Ok(())
            }
            _ => {
                out.push('$');
                Ok(())
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        name
    }

    /// `${NAME}` and its modifier forms; the `{` is consumed.
    fn braced(&mut self, out: &mut String) -> Result<(), ExpandError> {
        let name = self.name();
        if name.is_empty() {
            return Err(ExpandError(format!(
                "bad substitution: missing variable name after \"${{\" in {:?}",
                self.chars.iter().collect::<String>()
            )));
        }
        let value = self.env.get(&name);
        match self.next() {
            Some('}') => {
                out.push_str(&value.unwrap_or_default());
                Ok(())
            }
            Some(c) => {
                let colon = c == ':';
                let op = if colon { self.next() } else { Some(c) };
                let Some(op @ ('-' | '+' | '?')) = op else {
                    return Err(ExpandError(format!(
                        "unsupported modifier ({}) in substitution of {name}",
                        op.map(String::from).unwrap_or_default()
                    )));
                };
                let word = self.nested_word()?;
                let set = match (&value, colon) {
                    (Some(v), true) => !v.is_empty(),
                    (Some(_), false) => true,
                    (None, _) => false,
                };
                match op {
                    '-' => out.push_str(&if set { value.unwrap_or_default() } else { word }),
                    '+' => {
                        if set {
                            out.push_str(&word)
                        }
                    }
                    _ => {
                        if !set {
                            let msg = if word.is_empty() {
                                "is not allowed to be unset".to_string()
                            } else {
                                word
                            };
                            return Err(ExpandError(format!("{name}: {msg}")));
                        }
                        out.push_str(&value.unwrap_or_default());
                    }
                }
                Ok(())
            }
            None => Err(ExpandError(format!(
                "missing '}}' in substitution of {name}"
            ))),
        }
    }

    /// The word of a modifier, up to the closing `}` (consumed).
    fn nested_word(&mut self) -> Result<String, ExpandError> {
        let mut word = String::new();
        loop {
            match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    return Ok(word);
                }
                Some(_) => self.unit(&mut word, Some('}'))?,
                None => return Err(ExpandError("missing '}' in substitution".into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env() -> HashMap<String, String> {
        [("A", "1"), ("E", ""), ("S", "two words")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn x(text: &str) -> Result<String, ExpandError> {
        let e = env();
        let look = move |n: &str| e.get(n).cloned();
        expand_word(text, &look, '\\')
    }

    #[test]
    fn plain_and_braced() {
        assert_eq!(x("$A").unwrap(), "1");
        assert_eq!(x("${A}x").unwrap(), "1x");
        assert_eq!(x("$Ax").unwrap(), "");
        assert_eq!(x("a$").unwrap(), "a$");
        assert_eq!(x("$NOPE-").unwrap(), "-");
        assert_eq!(x("\\$A").unwrap(), "$A");
        assert_eq!(x("'$A'").unwrap(), "$A");
        assert_eq!(x("\"$A $S\"").unwrap(), "1 two words");
        assert_eq!(x("\"a\\\"b\"").unwrap(), "a\"b");
        assert_eq!(x("\"a\\b\"").unwrap(), "a\\b");
    }

    #[test]
    fn modifiers() {
        assert_eq!(x("${NOPE:-d}").unwrap(), "d");
        assert_eq!(x("${E:-d}").unwrap(), "d");
        assert_eq!(x("${E-d}").unwrap(), "");
        assert_eq!(x("${A:-d}").unwrap(), "1");
        assert_eq!(x("${A:+alt}").unwrap(), "alt");
        assert_eq!(x("${E:+alt}").unwrap(), "");
        assert_eq!(x("${E+alt}").unwrap(), "alt");
        assert_eq!(x("${NOPE:+alt}").unwrap(), "");
        assert_eq!(x("${NOPE:-$A$A}").unwrap(), "11");
        assert!(x("${NOPE:?must be set}")
            .unwrap_err()
            .0
            .contains("must be set"));
        assert!(x("${A").is_err());
        assert!(x("${}").is_err());
        assert!(x("${A:x}").is_err());
    }

    #[test]
    fn words() {
        let e = env();
        let look = move |n: &str| e.get(n).cloned();
        assert_eq!(
            expand_words("a  \"b c\" $S 'd e'", &look, '\\').unwrap(),
            vec!["a", "b c", "two words", "d e"]
        );
        assert_eq!(
            split_words("k=\"v $x\" y", '\\').unwrap(),
            vec!["k=v $x", "y"]
        );
        assert_eq!(expand_word("C:\\x`$A", &look, '`').unwrap(), "C:\\x$A");
    }
}
