//! From text to [`Dockerfile`]: directives, logical lines, heredocs, flags, stages.

use crate::{Dockerfile, Heredoc, Instruction, Keyword, ParseError, Stage};

/// Parses a Containerfile. `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Dockerfile, ParseError> {
    let err = |line: usize, message: String| ParseError {
        file: file.to_string(),
        line,
        message,
    };
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut escape = '\\';
    let mut syntax = None;
    let mut i = 0;
    // Parser directives: `# key=value` lines at the very top.
    let mut seen = Vec::new();
    while i < lines.len() {
        let Some((key, value)) = directive(lines[i]) else {
            break;
        };
        if seen.contains(&key) {
            return Err(err(
                i + 1,
                format!("only one {key} parser directive can be used"),
            ));
        }
        match key.as_str() {
            "escape" => {
                escape = match value.as_str() {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(err(
                            i + 1,
                            format!("invalid escape token {value:?} does not match ` or \\"),
                        ))
                    }
                }
            }
            "syntax" => syntax = Some(value),
            _ => {}
        }
        seen.push(key);
        i += 1;
    }

    let mut meta_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        // Join continuation lines.
        let mut logical = String::new();
        loop {
            let line = lines[i];
            let t = line.trim_end();
            i += 1;
            if let Some(body) = t.strip_suffix(escape) {
                logical.push_str(body);
                // Skip comment and empty lines inside the continuation.
                while i < lines.len() {
                    let n = lines[i].trim_start();
                    if n.is_empty() || n.starts_with('#') {
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i >= lines.len() {
                    break;
                }
            } else {
                logical.push_str(line);
                break;
            }
        }
        let mut ins =
            parse_instruction(&logical, start + 1, escape).map_err(|m| err(start + 1, m))?;
        // Heredocs read the physical lines that follow.
        if matches!(ins.keyword, Keyword::Run | Keyword::Copy | Keyword::Add) {
            for (name, quoted, strip_tabs) in heredoc_markers(&ins.args) {
                let mut content = String::new();
                let mut closed = false;
                while i < lines.len() {
                    let mut line = lines[i];
                    i += 1;
                    if strip_tabs {
                        line = line.trim_start_matches('\t');
                    }
                    if line == name {
                        closed = true;
                        break;
                    }
                    content.push_str(line);
                    content.push('\n');
                }
                if !closed {
                    return Err(err(
                        start + 1,
                        format!(
                            "unterminated heredoc: no line {name:?} after {}",
                            ins.keyword
                        ),
                    ));
                }
                ins.heredocs.push(Heredoc {
                    name,
                    content,
                    expand: !quoted,
                    strip_tabs,
                });
            }
        }
        match ins.keyword {
            Keyword::From => {
                let (base, name) = from_args(&ins.args).map_err(|m| err(start + 1, m))?;
                if let Some(n) = &name {
                    if stages.iter().any(|s| s.name.as_deref() == Some(n)) {
                        return Err(err(start + 1, format!("duplicate stage name {n:?}")));
                    }
                }
                stages.push(Stage {
                    index: stages.len(),
                    name,
                    base,
                    platform: ins.flag("platform").map(str::to_string),
                    from: ins,
                    instructions: Vec::new(),
                });
            }
            _ => match stages.last_mut() {
                Some(stage) => stage.instructions.push(ins),
                None if ins.keyword == Keyword::Arg => meta_args.push(ins),
                None => {
                    return Err(err(
                        start + 1,
                        format!(
                            "{} before the first FROM: only ARG may come before FROM",
                            ins.keyword
                        ),
                    ))
                }
            },
        }
    }
    if stages.is_empty() {
        return Err(err(
            lines.len().max(1),
            "no FROM instruction: a Containerfile must have at least one stage".into(),
        ));
    }
    Ok(Dockerfile {
        file: file.to_string(),
        escape,
        syntax,
        meta_args,
        stages,
    })
}

/// `# key=value` (a parser directive), with the key lower-cased.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?;
    let (key, value) = rest.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.trim().to_string()))
}

/// Parses one logical line (continuations joined) into an instruction. `line` is recorded.
pub fn parse_instruction(text: &str, line: usize, escape: char) -> Result<Instruction, String> {
    let _ = escape;
    let t = text.trim();
    let (word, rest) = match t.find(char::is_whitespace) {
        Some(p) => (&t[..p], t[p..].trim_start()),
        None => (t, ""),
    };
    let keyword = Keyword::from_word(word)
        .ok_or_else(|| format!("unknown instruction: {}", word.to_ascii_uppercase()))?;
    let mut args = rest;
    let mut flags = Vec::new();
    if !keyword.allowed_flags().is_empty() {
        while let Some(f) = args.strip_prefix("--") {
            let end = f.find(char::is_whitespace).unwrap_or(f.len());
            let flag = &f[..end];
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n, v),
                None => (flag, ""),
            };
            if name.is_empty() {
                break;
            }
            if !keyword.allowed_flags().contains(&name) {
                return Err(format!("unknown flag: --{name} (for {keyword})"));
            }
            flags.push((name.to_string(), value.to_string()));
            args = f[end..].trim_start();
        }
    }
    if args.is_empty() && !matches!(keyword, Keyword::Healthcheck) {
        return Err(format!("{keyword} requires at least one argument"));
    }
    Ok(Instruction {
        line,
        keyword,
        flags,
        args: args.to_string(),
        original: t.to_string(),
        heredocs: Vec::new(),
    })
}

/// FROM's arguments: `image [AS name]`.
fn from_args(args: &str) -> Result<(String, Option<String>), String> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [base] => Ok((base.to_string(), None)),
        [base, as_, name] if as_.eq_ignore_ascii_case("as") => {
            let name = name.to_ascii_lowercase();
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !valid {
                return Err(format!("invalid name for build stage: {name:?}, name can't start with a number or contain symbols"));
            }
            Ok((base.to_string(), Some(name)))
        }
        _ => Err("FROM requires either one argument, or three: FROM <source> [AS <name>]".into()),
    }
}

/// The heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`) in an instruction's arguments:
/// `(name, quoted, strip_tabs)`.
pub(crate) fn heredoc_markers(args: &str) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    let b = args.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i + 1 < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == b'\'' || c == b'"' {
            quote = Some(c);
            i += 1;
            continue;
        }
        if c == b'<' && b[i + 1] == b'<' && b.get(i + 2) == Some(&b'<') {
            while i < b.len() && b[i] == b'<' {
                i += 1;
            }
            continue;
        }
        if c == b'<' && b[i + 1] == b'<' {
            let mut j = i + 2;
            let strip = b.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            let q = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    j += 1;
                    Some(q)
                }
                _ => None,
            };
            let s = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let name = &args[s..j];
            let closed = match q {
                Some(q) => b.get(j) == Some(&q),
                None => true,
            };
            if !name.is_empty() && closed && !name.as_bytes()[0].is_ascii_digit() {
                out.push((name.to_string(), q.is_some(), strip));
                i = j + usize::from(q.is_some());
                continue;
            }
        }
        i += 1;
    }
    out
}
