//! Containerfiles (Dockerfiles) as data: the parser, variable expansion and the patterns of
//! `.containerignore`/`.dockerignore` files. Pure code, no I/O: the engine's builder
//! (`libpod::build`) executes what this crate reads.
//!
//! The rules are the [Dockerfile reference](https://docs.docker.com/reference/dockerfile/)'s:
//! parser directives (`# syntax=`, `# escape=`) only before anything else, comments on lines of
//! their own, line continuations with the escape character (comment lines and empty lines
//! inside a continued instruction are dropped), heredocs (`RUN <<EOF`, `COPY <<EOF /file`),
//! the exec form as a JSON array of strings, `--flag=value` options at the start of FROM, RUN,
//! COPY, ADD and HEALTHCHECK, and `ARG` before the first `FROM`.

pub mod expand;
pub mod ignore;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

pub use expand::{expand_word, expand_words, split_words, ExpandError, Lookup};
pub use parse::{parse, parse_instruction};

/// A parse error, naming the file and the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ParseError {
    pub file: String,
    /// 1-based line of the instruction's first line.
    pub line: usize,
    pub message: String,
}

/// The instructions a Containerfile may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Label,
    Maintainer,
    Expose,
    Env,
    Add,
    Copy,
    Entrypoint,
    Volume,
    User,
    Workdir,
    Arg,
    Onbuild,
    Stopsignal,
    Healthcheck,
    Shell,
}

impl Keyword {
    /// The keyword for `word` (any case).
    pub fn from_word(word: &str) -> Option<Keyword> {
        use Keyword::*;
        Some(match word.to_ascii_uppercase().as_str() {
            "FROM" => From,
            "RUN" => Run,
            "CMD" => Cmd,
            "LABEL" => Label,
            "MAINTAINER" => Maintainer,
            "EXPOSE" => Expose,
            "ENV" => Env,
            "ADD" => Add,
            "COPY" => Copy,
            "ENTRYPOINT" => Entrypoint,
            "VOLUME" => Volume,
            "USER" => User,
            "WORKDIR" => Workdir,
            "ARG" => Arg,
            "ONBUILD" => Onbuild,
            "STOPSIGNAL" => Stopsignal,
            "HEALTHCHECK" => Healthcheck,
            "SHELL" => Shell,
            _ => return None,
        })
    }

    /// The flags the instruction accepts.
    pub fn allowed_flags(self) -> &'static [&'static str] {
        match self {
            Keyword::From => &["platform"],
            Keyword::Run => &["mount", "network", "security"],
            Keyword::Copy => &["from", "chown", "chmod", "link", "parents", "exclude"],
            Keyword::Add => &[
                "chown",
                "chmod",
                "checksum",
                "link",
                "keep-git-dir",
                "exclude",
            ],
            Keyword::Healthcheck => &[
                "interval",
                "timeout",
                "start-period",
                "start-interval",
                "retries",
            ],
            _ => &[],
        }
    }

    /// Whether the instruction's arguments go through variable expansion (the reference's
    /// list; RUN, CMD and ENTRYPOINT are left to the shell).
    pub fn expands(self) -> bool {
        use Keyword::*;
        matches!(
            self,
            Add | Copy | Env | Expose | From | Label | Stopsignal | User | Volume | Workdir | Arg
        )
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{self:?}").to_ascii_uppercase();
        f.write_str(&s)
    }
}

/// A heredoc attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word (`EOF`), also the file name for `COPY <<EOF /dest`.
    pub name: String,
    /// The body, each line ending in `\n`.
    pub content: String,
    /// False when the delimiter was quoted (`<<"EOF"`): no expansion in the body.
    pub expand: bool,
    /// `<<-EOF`: leading tabs were stripped from the body's lines.
    pub strip_tabs: bool,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// 1-based line where the instruction starts.
    pub line: usize,
    pub keyword: Keyword,
    /// `--name=value` options, in order (`--name` alone has an empty value).
    pub flags: Vec<(String, String)>,
    /// The arguments after the flags, continuation lines joined, not expanded.
    pub args: String,
    /// The instruction as written (continuations joined with a space, no heredoc bodies),
    /// for progress output and history.
    pub original: String,
    pub heredocs: Vec<Heredoc>,
}

impl Instruction {
    /// The last value of flag `name`.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of flag `name` (for repeatable flags such as `--mount`).
    pub fn flag_values(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The arguments as a JSON array of strings (the exec form), if they are one.
    pub fn json_args(&self) -> Option<Vec<String>> {
        json_array(&self.args)
    }
}

/// `text` as a JSON array of strings, if it is one.
pub fn json_array(text: &str) -> Option<Vec<String>> {
    let t = text.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

/// One stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Position, from 0.
    pub index: usize,
    /// `AS name`, lower-cased as Docker does.
    pub name: Option<String>,
    /// The FROM instruction.
    pub from: Instruction,
    /// The base: an image reference, `scratch` or an earlier stage's name or index (not
    /// expanded: meta ARGs apply).
    pub base: String,
    /// FROM's `--platform`, not expanded.
    pub platform: Option<String>,
    pub instructions: Vec<Instruction>,
}

/// A parsed Containerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The name used in error messages.
    pub file: String,
    /// The escape character (`\` unless `# escape=` says `` ` ``).
    pub escape: char,
    /// The `# syntax=` directive, if any (recorded; rpod has one frontend).
    pub syntax: Option<String>,
    /// `ARG` instructions before the first FROM.
    pub meta_args: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// The stage named `name` (case-insensitive) or with index `name`, among the stages
    /// before `before` (a stage may only refer to earlier ones).
    pub fn stage_ref(&self, name: &str, before: usize) -> Option<&Stage> {
        let lower = name.to_ascii_lowercase();
        let earlier = &self.stages[..before.min(self.stages.len())];
        if let Some(s) = earlier.iter().find(|s| s.name.as_deref() == Some(&lower)) {
            return Some(s);
        }
        let idx: usize = name.parse().ok()?;
        earlier.get(idx)
    }

    /// The number of instructions of a stage including its FROM (Podman's `STEP n/N`).
    pub fn steps(&self, stage: usize) -> usize {
        self.stages[stage].instructions.len() + 1
    }
}
