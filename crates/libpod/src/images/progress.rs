//! Progress reporting of transfers (pull, push, load): the engine reports, the CLI draws.

/// Receives progress of a transfer. Implementations must be cheap: `advance` is called for
/// every chunk received.
pub trait Progress: Send + Sync {
    /// A blob transfer starts (`total` bytes; `id` is the short digest).
    fn start(&self, id: &str, total: u64);
    /// `bytes` more bytes of blob `id` were transferred.
    fn advance(&self, id: &str, bytes: u64);
    /// Blob `id` is done; `status` says how ("done", "already exists", "skipped").
    fn finish(&self, id: &str, status: &str);
    /// A one-line message about the transfer as a whole.
    fn message(&self, text: &str);
}

/// Reports nothing (`-q`, and engine-internal pulls without a terminal).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _id: &str, _total: u64) {}
    fn advance(&self, _id: &str, _bytes: u64) {}
    fn finish(&self, _id: &str, _status: &str) {}
    fn message(&self, _text: &str) {}
}

/// The short form of a digest used as a blob's progress id (12 hex digits).
pub fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
    hex.chars().take(12).collect()
}
