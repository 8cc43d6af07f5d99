//! What every handler shares: the engine's global options (a `Runtime` is
//! opened per request, on a blocking thread), the activity tracker and the
//! exec sessions created through the API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use libpod::{Runtime, RuntimeOptions};

use crate::activity::Tracker;
use crate::error::{Error, Result};
use crate::routes::exec::ExecEntry;

/// The state shared by all handlers.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    options: RuntimeOptions,
    tracker: Arc<Tracker>,
    execs: Mutex<HashMap<String, ExecEntry>>,
}

impl AppState {
    /// State for a service opening engines with `options`.
    pub fn new(options: RuntimeOptions, tracker: Arc<Tracker>) -> Self {
        AppState {
            inner: Arc::new(Shared {
                options,
                tracker,
                execs: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The engine's global options.
    pub fn options(&self) -> &RuntimeOptions {
        &self.inner.options
    }

    /// The activity tracker.
    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.inner.tracker
    }

    /// Runs `f` with the exec sessions locked.
    pub fn with_execs<T>(&self, f: impl FnOnce(&mut HashMap<String, ExecEntry>) -> T) -> T {
        let mut guard = match self.inner.execs.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Runs engine work on a blocking thread with a freshly opened
    /// [`Runtime`].
    pub async fn engine<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Runtime) -> Result<T> + Send + 'static,
    {
        let options = self.inner.options.clone();
        blocking(move || {
            let rt = Runtime::new(options)?;
            f(&rt)
        })
        .await
    }
}

/// Runs blocking work off the async threads; a panic becomes a 500.
pub async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("engine task failed: {e}")))?
}
