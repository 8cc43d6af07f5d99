//! Counting what the service is busy with, for the idle timeout: requests in
//! flight (until their response body ends) and hijacked connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// Shared counter of active requests.
#[derive(Debug, Default)]
pub struct Tracker {
    active: AtomicUsize,
    changed: Notify,
}

/// Held while a request (or a hijacked stream) is active.
#[derive(Debug)]
pub struct ActivityGuard {
    tracker: Arc<Tracker>,
}

impl Tracker {
    /// Marks the start of some activity; it lasts until the guard drops.
    pub fn begin(self: &Arc<Self>) -> ActivityGuard {
        self.active.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        ActivityGuard {
            tracker: Arc::clone(self),
        }
    }

    /// How many requests are active.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Returns once nothing has been active for `idle`.
    pub async fn idle_for(&self, idle: Duration) {
        loop {
            if self.active() == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {
                        if self.active() == 0 {
                            return;
                        }
                    }
                    _ = self.changed.notified() => {}
                }
            } else {
                self.changed.notified().await;
            }
        }
    }
}

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        self.tracker.active.fetch_sub(1, Ordering::SeqCst);
        self.tracker.changed.notify_one();
    }
}
