//! `.containerignore` / `.dockerignore` patterns, with Docker's rules (its `patternmatcher`):
//!
//! * one pattern a line; `#` starts a comment line; blank lines are skipped;
//! * patterns are cleaned like paths (`./a//b/` is `a/b`) and a leading `/` is dropped;
//! * `*` matches any run of characters but `/`, `?` one character but `/`, `[...]` a class,
//!   `\` escapes the next character, `**` any number of directories (none included);
//! * a pattern that matches a directory excludes everything below it;
//! * `!pattern` re-includes what it matches; the last matching pattern decides.

use regex::Regex;

/// One compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    re: Regex,
    exclusion: bool,
}

/// A list of ignore patterns.
#[derive(Debug, Clone, Default)]
pub struct IgnoreMatcher {
    patterns: Vec<Pattern>,
}

/// Why an ignore file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ignore pattern {pattern:?}: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

impl IgnoreMatcher {
    /// Reads the patterns of an ignore file's text.
    pub fn parse(text: &str) -> Result<IgnoreMatcher, PatternError> {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclusion, pat) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let mut cleaned = clean(pat);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned = cleaned.trim_start_matches('/').to_string();
            }
            if cleaned.is_empty() {
                continue;
            }
            let re = compile(&cleaned).map_err(|reason| PatternError {
                pattern: pat.to_string(),
                reason,
            })?;
            patterns.push(Pattern {
                text: cleaned,
                re,
                exclusion,
            });
        }
        Ok(IgnoreMatcher { patterns })
    }

    /// Whether there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any pattern is an exception (`!`): then an excluded directory must still be
    /// walked, as something below it may be included again.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// Whether `path` (relative to the context, `/`-separated) is excluded.
    pub fn excluded(&self, path: &str) -> bool {
        let file = clean(path);
        let file = file.trim_start_matches('/');
        let parents: Vec<&str> = file.split('/').collect();
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                // Only a pattern that could change the outcome needs a look.
                continue;
            }
            let mut hit = p.re.is_match(file);
            if !hit && parents.len() > 1 {
                for i in 1..parents.len() {
                    if p.re.is_match(&parents[..i].join("/")) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// The patterns as cleaned, with `!` for exceptions (for messages and cache keys).
    pub fn patterns(&self) -> Vec<String> {
        self.patterns
            .iter()
            .map(|p| format!("{}{}", if p.exclusion { "!" } else { "" }, p.text))
            .collect()
    }
}

/// Go's `filepath.Clean` for `/`-separated paths.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn compile(pattern: &str) -> Result<Regex, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("^");
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    re.push(']');
                }
                '\\' if i + 1 < chars.len() => {
                    i += 1;
                    re.push_str(&regex::escape(&chars[i].to_string()));
                }
                '^' | '[' | '&' | '~' => {
                    re.push('\\');
                    re.push(c);
                }
                _ => re.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '*' => {
                if chars.get(i + 1) == Some(&'*') {
                    i += 1;
                    if chars.get(i + 1) == Some(&'/') {
                        i += 1;
                    }
                    if i + 1 >= chars.len() {
                        re.push_str(".*");
                    } else {
                        re.push_str("(.*/)?");
                    }
                } else {
                    re.push_str("[^/]*");
                }
            }
            '?' => re.push_str("[^/]"),
            '[' => {
                in_class = true;
                re.push('[');
                if chars.get(i + 1) == Some(&'!') || chars.get(i + 1) == Some(&'^') {
                    i += 1;
                    re.push('^');
                }
            }
            '\\' => {
                if i + 1 < chars.len() {
                    i += 1;
                    re.push_str(&regex::escape(&chars[i].to_string()));
                } else {
                    return Err("trailing escape character".into());
                }
            }
            _ => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    if in_class {
        return Err("unterminated character class".into());
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_rules() {
        let m =
            IgnoreMatcher::parse("# c\n*.log\n!keep.log\n/build\ndocs/**/*.md\ntmp?\n").unwrap();
        assert!(m.excluded("a.log"));
        assert!(!m.excluded("keep.log"));
        assert!(!m.excluded("sub/a.log"), "* does not cross /");
        assert!(m.excluded("build"));
        assert!(m.excluded("build/x/y"), "below an excluded directory");
        assert!(m.excluded("docs/a.md"));
        assert!(m.excluded("docs/x/y/a.md"));
        assert!(!m.excluded("docs/a.txt"));
        assert!(m.excluded("tmp1"));
        assert!(!m.excluded("tmp12"));
        assert!(m.has_exceptions());
    }

    #[test]
    fn globstar_and_exceptions_below() {
        let m = IgnoreMatcher::parse("**/*.o\ndir\n!dir/keep\n").unwrap();
        assert!(m.excluded("a.o"));
        assert!(m.excluded("x/y/a.o"));
        assert!(m.excluded("dir/other"));
        assert!(!m.excluded("dir/keep"));
        let all = IgnoreMatcher::parse("*\n!Containerfile\n").unwrap();
        assert!(all.excluded("x"));
        assert!(!all.excluded("Containerfile"));
    }

    #[test]
    fn cleaning() {
        assert_eq!(clean("./a//b/"), "a/b");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean(""), ".");
        assert!(IgnoreMatcher::parse("[a").is_err());
    }
}
