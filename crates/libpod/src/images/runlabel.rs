//! `container runlabel`: the command an image's label describes, with Podman's
//! substitutions, for the front end to run on the host.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// What `runlabel` asks for.
#[derive(Debug, Clone, Default)]
pub struct RunlabelOptions {
    /// `--name`: the container name (`NAME`); default the image's last name component.
    pub name: Option<String>,
    /// `--replace`: `--replace` goes into the `run`/`create` command.
    pub replace: bool,
    /// The program (with its leading arguments) a label's leading `podman` (or
    /// `/usr/bin/podman`) stands for.
    pub engine: Vec<String>,
    /// More arguments, appended.
    pub args: Vec<String>,
    /// The current directory (`PWD`).
    pub pwd: String,
}

/// Replaces `IMAGE`, `$IMAGE`, `${IMAGE}` and `=IMAGE`-style variables of `text` (whole
/// words, as Podman's substitution).
fn substitute(word: &str, vars: &BTreeMap<&str, String>) -> String {
    for (k, v) in vars {
        for form in [k.to_string(), format!("${k}"), format!("${{{k}}}")] {
            if word == form {
                return v.clone();
            }
            if let Some(rest) = word.strip_suffix(&format!("={form}")) {
                return format!("{rest}={v}");
            }
        }
    }
    word.to_string()
}

impl Runtime {
    /// The command of `label` of `image` (a local image), split into words, with `IMAGE`,
    /// `NAME`, `PWD` and environment variables substituted, `podman` standing for
    /// `opts.engine`, and `opts.args` appended.
    pub fn runlabel_command(
        &self,
        image: &str,
        label: &str,
        opts: &RunlabelOptions,
    ) -> Result<Vec<String>> {
        let img = self.image(image)?;
        let store = self.store()?;
        let config = store.image_config(&img)?;
        let labels = config
            .config()
            .as_ref()
            .and_then(|c| c.labels().clone())
            .unwrap_or_default();
        // Podman's words.
        let text = labels.get(label).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "cannot find the value of label: {label} in image: {image}"
            ))
        })?;
        let full = img.names.first().cloned().unwrap_or_else(|| img.id.clone());
        let name = opts.name.clone().unwrap_or_else(|| {
            let last = full.rsplit('/').next().unwrap_or(&full);
            last.split([':', '@']).next().unwrap_or(last).to_string()
        });
        // Environment variables first (an unset one is empty), as Podman expands them.
        let expanded = expand_env(text);
        let words = shlex::split(&expanded).ok_or_else(|| {
            Error::InvalidArgument(format!("label {label} of image {image}: unbalanced quotes"))
        })?;
        let vars = BTreeMap::from([
            ("IMAGE", full.clone()),
            ("NAME", name),
            ("PWD", opts.pwd.clone()),
        ]);
        let mut cmd: Vec<String> = words.iter().map(|w| substitute(w, &vars)).collect();
        if cmd
            .first()
            .is_some_and(|w| w == "podman" || w.ends_with("/podman"))
            && !opts.engine.is_empty()
        {
            cmd.splice(0..1, opts.engine.iter().cloned());
        }
        if opts.replace {
            if let Some(i) = cmd.iter().position(|w| w == "run" || w == "create") {
                cmd.insert(i + 1, "--replace".into());
            }
        }
        cmd.extend(opts.args.iter().cloned());
        if cmd.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "label {label} of image {image} is empty"
            )));
        }
        Ok(cmd)
    }
}

/// `$VAR` and `${VAR}` of the environment; the variables runlabel substitutes itself
/// (`IMAGE`, `NAME`, `PWD`) are kept for it.
fn expand_env(text: &str) -> String {
    let own = ["IMAGE", "NAME", "PWD"];
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if name.is_empty() || own.contains(&name) {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(&std::env::var(name).unwrap_or_default());
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_substituted_as_podman_does() {
        let vars = BTreeMap::from([("IMAGE", "img:1".to_string()), ("NAME", "n".to_string())]);
        assert_eq!(substitute("IMAGE", &vars), "img:1");
        assert_eq!(substitute("${IMAGE}", &vars), "img:1");
        assert_eq!(substitute("--name=NAME", &vars), "--name=n");
        assert_eq!(substitute("IMAGES", &vars), "IMAGES");
        assert_eq!(
            expand_env("a $RPOD_SURELY_UNSET b ${IMAGE}"),
            "a  b ${IMAGE}"
        );
    }
}
