//! Counting what the service is busy with: requests in flight (until their
//! response body ends) and hijacked connections, for the service's idle
//! timeout; and the open connections, each with its own requests in flight,
//! for the per-connection idle timeout and the cap on connections.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

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

/// The open connections, at most `max` of them.
///
/// When a new connection arrives and all slots are taken, the connection
/// idle for the longest time (with no request in flight, preferring those
/// that never sent a complete request) is closed to make room; when every
/// connection has a request in flight, the new one waits (and those behind
/// it wait in the listen backlog) until one closes or becomes idle.
#[derive(Debug)]
pub struct Connections {
    max: usize,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
    /// A connection closed or became idle.
    changed: tokio::sync::Notify,
}

/// One open connection.
#[derive(Debug)]
pub struct Connection {
    /// Requests in flight, until their response body ends.
    in_flight: AtomicUsize,
    /// Requests begun on this connection.
    served: AtomicU64,
    /// When a request last began or ended (ms since the table's epoch).
    last_change: AtomicU64,
    /// Chosen to make room; it closes as soon as it can.
    evicted: AtomicBool,
    /// Wakes the connection's idle timer.
    idle_changed: tokio::sync::Notify,
    /// Asks the connection to close.
    close: tokio::sync::Notify,
    table: Weak<Connections>,
}

/// A place in [`Connections`], released when dropped.
#[derive(Debug)]
pub struct ConnSlot {
    id: u64,
    conn: Arc<Connection>,
    table: Arc<Connections>,
}

/// Held while a request is in flight on a connection.
#[derive(Debug)]
pub struct RequestGuard {
    conn: Arc<Connection>,
}

impl Connections {
    /// A table of at most `max` (at least 1) connections.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Connections {
            max: max.max(1),
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            changed: tokio::sync::Notify::new(),
        })
    }

    /// The most connections open at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        match self.open.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Waits for a free slot (making one by closing an idle connection when
    /// the table is full) and takes it.
    pub async fn admit(self: &Arc<Self>) -> ConnSlot {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut open = self.lock();
                if open.len() < self.max {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    let conn = Arc::new(Connection {
                        in_flight: AtomicUsize::new(0),
                        served: AtomicU64::new(0),
                        last_change: AtomicU64::new(self.now_ms()),
                        evicted: AtomicBool::new(false),
                        idle_changed: tokio::sync::Notify::new(),
                        close: tokio::sync::Notify::new(),
                        table: Arc::downgrade(self),
                    });
                    open.insert(id, conn.clone());
                    return ConnSlot {
                        id,
                        conn,
                        table: self.clone(),
                    };
                }
                // One eviction at a time; one that raced with a new request
                // finishes that request first, so look for another then.
                let closing = open
                    .values()
                    .any(|c| c.evicted.load(Ordering::SeqCst) && c.in_flight() == 0);
                if !closing {
                    let victim = open
                        .values()
                        .filter(|c| c.in_flight() == 0 && !c.evicted.load(Ordering::SeqCst))
                        .min_by_key(|c| {
                            (
                                c.served.load(Ordering::SeqCst) > 0,
                                c.last_change.load(Ordering::SeqCst),
                            )
                        });
                    if let Some(v) = victim {
                        v.evicted.store(true, Ordering::SeqCst);
                        v.close.notify_one();
                    }
                }
            }
            changed.await;
        }
    }
}

impl ConnSlot {
    /// The connection holding this slot.
    pub fn connection(&self) -> &Arc<Connection> {
        &self.conn
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
        self.table.changed.notify_waiters();
    }
}

impl Connection {
    /// Marks the start of a request; it lasts until the guard drops.
    pub fn begin_request(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.served.fetch_add(1, Ordering::SeqCst);
        self.touch();
        self.idle_changed.notify_one();
        RequestGuard { conn: self.clone() }
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Whether a request has ever begun on this connection.
    pub fn has_served(&self) -> bool {
        self.served.load(Ordering::SeqCst) > 0
    }

    /// How long ago a request last began or ended.
    pub fn quiet_for(&self) -> Duration {
        match self.table.upgrade() {
            Some(t) => Duration::from_millis(
                t.now_ms()
                    .saturating_sub(self.last_change.load(Ordering::SeqCst)),
            ),
            None => Duration::ZERO,
        }
    }

    fn touch(&self) {
        if let Some(t) = self.table.upgrade() {
            self.last_change.store(t.now_ms(), Ordering::SeqCst);
        }
    }

    /// Returns once no request has been in flight for `idle`.
    pub async fn idle_for(&self, idle: Duration) {
        loop {
            if self.in_flight() == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {
                        if self.in_flight() == 0 {
                            return;
                        }
                    }
                    _ = self.idle_changed.notified() => {}
                }
            } else {
                self.idle_changed.notified().await;
            }
        }
    }

    /// Returns once the connection is asked to close (to make room for
    /// another).
    pub async fn close_requested(&self) {
        self.close.notified().await
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let left = self.conn.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
        self.conn.touch();
        self.conn.idle_changed.notify_one();
        if left == 0 {
            if let Some(t) = self.conn.table.upgrade() {
                t.changed.notify_waiters();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn full_table_evicts_the_longest_idle_unused_connection() {
        let table = Connections::new(2);
        let a = table.admit().await;
        let b = table.admit().await;
        // `a` has served a request and is idle; `b` never sent one.
        drop(a.connection().begin_request());
        let waiting = tokio::spawn({
            let table = table.clone();
            async move { table.admit().await }
        });
        tokio::time::timeout(Duration::from_secs(5), b.connection().close_requested())
            .await
            .expect("the unused connection is asked to close");
        assert!(!waiting.is_finished());
        drop(b);
        let c = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("admitted once a slot is free")
            .unwrap();
        assert_eq!(table.len(), 2);
        drop((a, c));
        assert!(table.is_empty());
    }

    #[tokio::test]
    async fn busy_connections_are_never_evicted() {
        let table = Connections::new(1);
        let a = table.admit().await;
        let req = a.connection().begin_request();
        let waiting = tokio::spawn({
            let table = table.clone();
            async move { table.admit().await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished());
        assert!(!a.connection().evicted.load(Ordering::SeqCst));
        // Once the request ends, the connection may be asked to close.
        drop(req);
        tokio::time::timeout(Duration::from_secs(5), a.connection().close_requested())
            .await
            .expect("the idle connection is asked to close");
        drop(a);
        let b = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(table.len(), 1);
        drop(b);
    }

    #[tokio::test]
    async fn connection_idle_timer_waits_for_requests_to_end() {
        let table = Connections::new(4);
        let a = table.admit().await;
        let conn = a.connection().clone();
        let req = conn.begin_request();
        let idle = tokio::spawn({
            let conn = conn.clone();
            async move { conn.idle_for(Duration::from_millis(50)).await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!idle.is_finished());
        drop(req);
        tokio::time::timeout(Duration::from_secs(5), idle)
            .await
            .expect("idle once the request ended")
            .unwrap();
        assert!(conn.has_served());
    }
}
