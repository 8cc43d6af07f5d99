//! `GET /containers/{id}/stats` (Docker's stats JSON from libpod's
//! cgroup samples), `GET /containers/{id}/changes` and
//! `POST /containers/{id}/update`.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::container::{ChangeKind, StatsSample, UpdateOptions};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json, Params};
use crate::body::{read_json, ChannelBody};
use crate::error::{Error, Result};
use crate::hijack;
use crate::state::{blocking, AppState};

/// Total CPU time of the host in nanoseconds (`/proc/stat`'s first line).
fn system_cpu_nanos() -> u64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let jiffies: u64 = text
        .lines()
        .next()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    // USER_HZ is 100 on Linux.
    jiffies.saturating_mul(10_000_000)
}

fn online_cpus() -> u64 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1)
}

/// One sample with the host counter taken alongside it.
#[derive(Clone)]
struct Reading {
    sample: Option<StatsSample>,
    system: u64,
    read: chrono::DateTime<chrono::Utc>,
}

fn cpu_doc(r: Option<&Reading>) -> Value {
    let total = r.and_then(|r| r.sample.as_ref()).map_or(0, |s| s.cpu_nanos);
    json!({
        "cpu_usage": { "total_usage": total, "usage_in_kernelmode": 0, "usage_in_usermode": total },
        "system_cpu_usage": r.map_or(0, |r| r.system),
        "online_cpus": online_cpus(),
        "throttling_data": { "periods": 0, "throttled_periods": 0, "throttled_time": 0 },
    })
}

fn doc(id: &str, name: &str, cur: &Reading, pre: Option<&Reading>) -> Value {
    let s = cur.sample.clone();
    let (mem, limit, rx, tx, br, bw, pids) = s.as_ref().map_or((0, 0, 0, 0, 0, 0, 0), |s| {
        (
            s.mem_usage,
            s.mem_limit,
            s.net_rx,
            s.net_tx,
            s.block_read,
            s.block_write,
            s.pids,
        )
    });
    json!({
        "id": id,
        "name": format!("/{name}"),
        "read": cur.read.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "preread": pre.map_or("0001-01-01T00:00:00Z".to_string(), |p| p.read.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)),
        "pids_stats": { "current": pids },
        "blkio_stats": { "io_service_bytes_recursive": [
            { "major": 0, "minor": 0, "op": "read", "value": br },
            { "major": 0, "minor": 0, "op": "write", "value": bw },
        ] },
        "num_procs": 0,
        "cpu_stats": cpu_doc(Some(cur)),
        "precpu_stats": cpu_doc(pre),
        "memory_stats": { "usage": mem, "limit": limit, "stats": {} },
        "networks": { "eth0": {
            "rx_bytes": rx, "rx_packets": 0, "rx_errors": 0, "rx_dropped": 0,
            "tx_bytes": tx, "tx_packets": 0, "tx_errors": 0, "tx_dropped": 0,
        } },
    })
}

fn read(rt: &libpod::Runtime, id: &str) -> Result<(String, String, Reading)> {
    let mut c = rt.container(id)?;
    let sample = c.stats_sample()?;
    Ok((
        c.id().to_string(),
        c.name().to_string(),
        Reading {
            sample,
            system: system_cpu_nanos(),
            read: chrono::Utc::now(),
        },
    ))
}

fn line(v: &Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// `GET /containers/{id}/stats?stream=&one-shot=`: one document (with a
/// CPU delta over a second unless `one-shot`), or one per second until
/// the container stops or the client leaves.
pub async fn stats(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let stream = p.bool("stream", true)?;
    let one_shot = p.bool("one-shot", false)?;
    let wanted = id.clone();
    let (cid, name, first) = st.engine(move |rt| read(rt, &wanted)).await?;
    if !stream {
        let body = if one_shot {
            doc(&cid, &name, &first, None)
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let wanted = cid.clone();
            let (_, _, second) = st.engine(move |rt| read(rt, &wanted)).await?;
            doc(&cid, &name, &second, Some(&first))
        };
        return Ok(json(StatusCode::OK, &body));
    }
    let (tx, body) = ChannelBody::channel(4);
    let options = st.options().clone();
    tokio::spawn(async move {
        let mut prev = first.clone();
        if tx
            .send(line(&doc(&cid, &name, &first, None)))
            .await
            .is_err()
        {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let options = options.clone();
            let wanted = cid.clone();
            let next = blocking(move || {
                let rt = libpod::Runtime::new(options)?;
                read(&rt, &wanted)
            })
            .await;
            let Ok((_, _, cur)) = next else { return };
            let running = cur.sample.is_some();
            if tx
                .send(line(&doc(&cid, &name, &cur, Some(&prev))))
                .await
                .is_err()
                || !running
            {
                return;
            }
            prev = cur;
        }
    });
    Ok(hijack::stream_response("application/json", body))
}

/// `GET /containers/{id}/changes`: `[{Path, Kind}]` with Kind 0 modified,
/// 1 added, 2 deleted.
pub async fn changes(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let list = st
        .engine(move |rt| Ok(rt.container(&id)?.changes()?))
        .await?;
    let out: Vec<Value> = list
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ChangeKind::Modified => 0,
                ChangeKind::Added => 1,
                ChangeKind::Deleted => 2,
            };
            json!({ "Path": c.path, "Kind": kind })
        })
        .collect();
    Ok(json(StatusCode::OK, &out))
}

/// `POST /containers/{id}/update` body (the parts rpod can change).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateRequest {
    pub memory: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub pids_limit: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub cpu_period: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpu_realtime_period: Option<i64>,
    pub cpu_realtime_runtime: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub cpuset_mems: Option<String>,
    pub memory_reservation: Option<i64>,
    pub memory_swap: Option<i64>,
    pub memory_swappiness: Option<i64>,
    pub blkio_weight: Option<u16>,
    pub blkio_weight_device: Option<Vec<DeviceRate>>,
    pub blkio_device_read_bps: Option<Vec<DeviceRate>>,
    pub blkio_device_write_bps: Option<Vec<DeviceRate>>,
    pub blkio_device_read_i_ops: Option<Vec<DeviceRate>>,
    pub blkio_device_write_i_ops: Option<Vec<DeviceRate>>,
    pub restart_policy: Option<crate::docker_types::DockerRestartPolicy>,
}

/// Docker's `{"Path": "/dev/sda", "Rate": 1048576}` (`Weight` for weights).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeviceRate {
    pub path: String,
    pub rate: u64,
    pub weight: u64,
}

fn device_rates(
    list: Option<Vec<DeviceRate>>,
    weight: bool,
) -> Vec<libpod::container::isolation::BlkioRate> {
    list.unwrap_or_default()
        .into_iter()
        .map(|d| libpod::container::isolation::BlkioRate {
            path: d.path.into(),
            rate: if weight { d.weight } else { d.rate },
        })
        .collect()
}

/// `POST /containers/{id}/update`.
pub async fn update(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response> {
    let req: Option<UpdateRequest> = read_json(body).await?;
    let req = req.unwrap_or_default();
    let restart_policy = match req.restart_policy {
        Some(p) if !p.name.is_empty() => {
            let text = if p.name == "on-failure" && p.maximum_retry_count > 0 {
                format!("on-failure:{}", p.maximum_retry_count)
            } else {
                p.name.clone()
            };
            Some(text.parse().map_err(Error::from)?)
        }
        _ => None,
    };
    let positive = |v: Option<i64>| v.filter(|n| *n > 0);
    let opts = UpdateOptions {
        resources: libpod::container::Resources {
            memory: positive(req.memory).map(|m| m as u64),
            cpus: positive(req.nano_cpus).map(|n| n as f64 / 1e9),
            pids_limit: req.pids_limit.filter(|p| *p != 0),
            cpu_shares: positive(req.cpu_shares).map(|n| n as u64),
            cpu_period: positive(req.cpu_period).map(|n| n as u64),
            cpu_quota: req.cpu_quota.filter(|n| *n != 0),
            cpu_rt_period: positive(req.cpu_realtime_period).map(|n| n as u64),
            cpu_rt_runtime: req.cpu_realtime_runtime.filter(|n| *n != 0),
            cpuset_cpus: req.cpuset_cpus.filter(|s| !s.is_empty()),
            cpuset_mems: req.cpuset_mems.filter(|s| !s.is_empty()),
            memory_reservation: positive(req.memory_reservation).map(|m| m as u64),
            memory_swap: req.memory_swap.filter(|n| *n != 0),
            memory_swappiness: req
                .memory_swappiness
                .map(libpod::container::options::parse_swappiness)
                .transpose()
                .map_err(Error::from)?
                .flatten(),
            oom_kill_disable: false,
        },
        blkio_weight: req.blkio_weight.filter(|w| *w > 0),
        blkio_weight_device: device_rates(req.blkio_weight_device, true),
        device_read_bps: device_rates(req.blkio_device_read_bps, false),
        device_write_bps: device_rates(req.blkio_device_write_bps, false),
        device_read_iops: device_rates(req.blkio_device_read_i_ops, false),
        device_write_iops: device_rates(req.blkio_device_write_i_ops, false),
        restart_policy,
    };
    st.engine(move |rt| Ok(rt.container(&id)?.update(&opts)?))
        .await?;
    Ok(json(StatusCode::OK, &json!({ "Warnings": [] })))
}
