//! `GET /libpod/generate/{name}/systemd`: the units of `generate systemd`
//! as a JSON map of unit name (without `.service`) to unit text.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use libpod::systemd::units::SystemdOptions;

use super::secrets::PodmanError;
use super::{json, Params};
use crate::error::Error;
use crate::state::AppState;

type Reply = std::result::Result<axum::response::Response, PodmanError>;

/// Podman's parameters: `useName`, `new`, `noHeader`, `startTimeout`,
/// `stopTimeout`, `restartPolicy`, `restartSec`, `containerPrefix`,
/// `podPrefix`, `separator`, `wants`, `after`, `requires`,
/// `additionalEnvVariables` (the last four repeatable).
fn options(p: &Params) -> crate::error::Result<SystemdOptions> {
    let d = SystemdOptions::default();
    let text = |key: &str, default: String| -> String {
        p.get(key).map(str::to_string).unwrap_or(default)
    };
    let env = p.all("additionalEnvVariables");
    if let Some(bad) = env.iter().find(|e| !e.contains('=')) {
        return Err(Error::BadRequest(format!(
            "invalid additionalEnvVariables {bad:?}: use KEY=VALUE"
        )));
    }
    Ok(SystemdOptions {
        new: p.bool("new", false)?,
        use_name: p.bool("useName", false)?,
        no_header: p.bool("noHeader", false)?,
        restart_policy: p
            .get("restartPolicy")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        restart_sec: p.num("restartSec")?.filter(|s: &u64| *s > 0),
        start_timeout: p.num("startTimeout")?.filter(|s: &u64| *s > 0),
        stop_timeout: p.num("stopTimeout")?,
        container_prefix: text("containerPrefix", d.container_prefix.clone()),
        pod_prefix: text("podPrefix", d.pod_prefix.clone()),
        separator: text("separator", d.separator.clone()),
        wants: p.all("wants"),
        after: p.all("after"),
        requires: p.all("requires"),
        env,
        ..d
    })
}

pub async fn generate(State(st): State<AppState>, Path(name): Path<String>, q: RawQuery) -> Reply {
    let opts = options(&Params::from_raw(q)?)?;
    let units = st
        .engine(move |rt| Ok(rt.generate_systemd(&name, &opts)?))
        .await?;
    let map: BTreeMap<String, String> = units.into_iter().map(|u| (u.name, u.text)).collect();
    Ok(json(StatusCode::OK, &map))
}
