//! Transfer progress on the terminal: one indicatif bar per blob on a tty, plain lines
//! otherwise, nothing with `-q`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use libpod::images::Progress;

/// Draws transfer progress on stderr.
pub struct CliProgress {
    bars: Option<(MultiProgress, Mutex<HashMap<String, ProgressBar>>)>,
    quiet: bool,
}

impl CliProgress {
    /// Bars when stderr is a terminal, plain lines otherwise; nothing when `quiet`.
    pub fn new(quiet: bool) -> CliProgress {
        let bars = (!quiet && std::io::stderr().is_terminal()).then(|| {
            (
                MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                Mutex::new(HashMap::new()),
            )
        });
        CliProgress { bars, quiet }
    }

    fn bar(&self, id: &str) -> Option<ProgressBar> {
        let (_, bars) = self.bars.as_ref()?;
        bars.lock().ok()?.get(id).cloned()
    }
}

impl Progress for CliProgress {
    fn start(&self, id: &str, total: u64) {
        if self.quiet {
            return;
        }
        match &self.bars {
            Some((multi, bars)) => {
                let bar = multi.add(ProgressBar::new(total));
                let style = ProgressStyle::with_template(
                    "Copying blob {prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_prefix(id.to_string());
                if let Ok(mut bars) = bars.lock() {
                    bars.insert(id.to_string(), bar);
                }
            }
            None => eprintln!("Copying blob {id} ({total} bytes)"),
        }
    }

    fn advance(&self, id: &str, bytes: u64) {
        if let Some(bar) = self.bar(id) {
            bar.inc(bytes);
        }
    }

    fn finish(&self, id: &str, status: &str) {
        if self.quiet {
            return;
        }
        match self.bar(id) {
            Some(bar) => bar.finish_with_message(status.to_string()),
            None => match &self.bars {
                Some((multi, _)) => {
                    let _ = multi.println(format!("Copying blob {id} {status}"));
                }
                None => eprintln!("Copying blob {id} {status}"),
            },
        }
    }

    fn message(&self, text: &str) {
        if self.quiet {
            return;
        }
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }
}
