//! Whether CRIU can checkpoint and restore containers on this host.

use std::process::{Command, Stdio};

/// Why CRIU cannot be used here, if it cannot: `criu` missing, or
/// `criu check` failing (with its most specific error).
pub fn criu_unavailable() -> Option<String> {
    let Some(criu) = crate::find_binary("criu") else {
        return Some("criu is not installed".into());
    };
    match Command::new(&criu)
        .arg("check")
        .stdin(Stdio::null())
        .output()
    {
        Err(e) => Some(format!("running {}: {e}", criu.display())),
        Ok(out) if out.status.success() => None,
        Ok(out) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            );
            Some(format!("criu check failed: {}", criu_reason(&text)))
        }
    }
}

/// The most specific line of `criu check` errors: `Error (file:line): msg` lines without
/// the generic kerndat/crtools summaries.
fn criu_reason(text: &str) -> String {
    let messages: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("Error (")?;
            let (location, msg) = rest.split_once("): ")?;
            Some((location, msg.trim()))
        })
        .collect();
    messages
        .iter()
        .rev()
        .find(|(loc, _)| !loc.starts_with("criu/kerndat.c") && !loc.starts_with("criu/crtools.c"))
        .or(messages.first())
        .map(|(_, m)| m.to_string())
        .unwrap_or_else(|| {
            text.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("unknown error")
                .trim()
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specific_criu_error_is_kept() {
        let text = "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n\
Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n\
Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.\n\
Error (criu/crtools.c:260): Could not initialize kernel features detection.\n";
        assert_eq!(criu_reason(text), "vdso: Failed to fill self vdso symtable");
    }
}
