//! Files fetched by URL (`ADD http(s)://…` in builds, `import URL`), over
//! the same HTTP and TLS stack as the registry client (rustls with ring: no
//! system TLS library).

use std::io::Write;

use crate::error::{Error, Result};

/// Longest a download may take.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Fetches `url` (http or https) into `dest`; returns the bytes written.
/// A status other than 2xx is an error naming the URL and the status.
pub fn fetch_url(url: &str, dest: &mut dyn Write) -> Result<u64> {
    let fail = |what: String| Error::InvalidArgument(format!("fetching {url}: {what}"));
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(fail("only http:// and https:// URLs can be fetched".into()));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            context: "starting the HTTP client".into(),
            source,
        })?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent("rpod")
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let mut resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(fail(format!("HTTP status {status}")));
        }
        let mut written = 0u64;
        while let Some(chunk) = resp.chunk().await.map_err(|e| fail(e.to_string()))? {
            dest.write_all(&chunk).map_err(|source| Error::Io {
                context: format!("writing what {url} sent"),
                source,
            })?;
            written += chunk.len() as u64;
        }
        Ok(written)
    })
}
