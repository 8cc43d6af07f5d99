//! Container networking that needs no netavark: `--network none`, `host`
//! and `container:ID`, and the flags they refuse.

use super::support::TestEngine;
use crate::{ContainerStatus, CreateOptions, Error, NetworkMode, NetworkRequest};

/// The runtime spec's network namespace entry, if any.
fn network_namespace(c: &crate::Container<'_>) -> Option<serde_json::Value> {
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.bundle().join("config.json")).unwrap()).unwrap();
    spec["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "network")
        .cloned()
}

#[test]
fn network_none_gets_a_namespace_of_its_own_and_no_networks() {
    let e = TestEngine::new();
    let mut c =
        e.rt.create_container(CreateOptions {
            hostname: Some("quiet".into()),
            ..e.options("offline")
        })
        .unwrap();
    assert_eq!(c.config().network, NetworkMode::None);
    assert!(c.config().net.networks.is_empty());
    c.start().unwrap();
    // A new, empty namespace: no path to join.
    let ns = network_namespace(&c).expect("a network namespace");
    assert!(ns.get("path").is_none(), "{ns}");
    // Nothing pinned for netavark to connect.
    let rundir = c.rundir();
    assert!(!rundir.join("netns").exists());
    let hosts = std::fs::read_to_string(rundir.join("hosts")).unwrap();
    assert!(hosts.contains("127.0.0.1"), "{hosts}");
    assert!(hosts.contains("quiet"), "{hosts}");
    assert!(rundir.join("resolv.conf").is_file());
    assert_eq!(
        std::fs::read_to_string(rundir.join("hostname")).unwrap(),
        "quiet\n"
    );
    let settings = c.network_settings();
    assert!(settings.networks.is_empty());
    assert!(settings.ip_address.is_empty());
    assert!(settings.sandbox_key.is_empty());
    assert!(c.ports_display().is_empty());
    c.stop(Some(1)).unwrap();
    assert_eq!(e.reload("offline").status(), ContainerStatus::Exited);
}

#[test]
fn ports_and_addresses_need_a_bridge() {
    let e = TestEngine::new();
    for net in [
        NetworkRequest {
            publish: vec!["8080:80".into()],
            ..Default::default()
        },
        NetworkRequest {
            aliases: vec!["db".into()],
            ..Default::default()
        },
    ] {
        let err =
            e.rt.create_container(CreateOptions {
                net,
                ..e.options("ports")
            })
            .err()
            .unwrap();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("need a bridge network"), "{err}");
        assert_eq!(err.exit_code(), 125);
    }
    // Nothing was left behind.
    assert!(e.rt.containers().unwrap().is_empty());
}

#[test]
fn network_host_has_no_namespace() {
    let e = TestEngine::new();
    let mut c =
        e.rt.create_container(CreateOptions {
            network: NetworkMode::Host,
            ..e.options("hosted")
        })
        .unwrap();
    c.start().unwrap();
    assert!(network_namespace(&c).is_none());
    assert!(c.rundir().join("hosts").is_file());
}

#[test]
fn network_container_joins_a_running_container() {
    let e = TestEngine::new();
    let mut first = e.create("first");
    let joiner = CreateOptions {
        network: NetworkMode::Container("first".into()),
        ..e.options("second")
    };
    let mut second = e.rt.create_container(joiner).unwrap();
    assert_eq!(
        second.config().network,
        NetworkMode::Container(first.id().to_string())
    );
    // Not running: nothing to join.
    let err = second.start().unwrap_err();
    assert!(err.to_string().contains("not running"), "{err}");
    assert_eq!(e.reload("second").status(), ContainerStatus::Configured);

    first.start().unwrap();
    let mut second = e.reload("second");
    second.start().unwrap();
    let ns = network_namespace(&second).unwrap();
    assert_eq!(ns["path"], format!("/proc/{}/ns/net", first.state().pid));
    assert_eq!(
        std::fs::read_to_string(second.rundir().join("hosts")).unwrap(),
        std::fs::read_to_string(first.rundir().join("hosts")).unwrap()
    );
}

#[test]
fn an_unknown_container_to_join_is_not_found() {
    let e = TestEngine::new();
    let err =
        e.rt.create_container(CreateOptions {
            network: NetworkMode::Container("nobody".into()),
            ..e.options("lonely")
        })
        .err()
        .unwrap();
    assert!(matches!(err, Error::NoSuchContainer(_)), "{err:?}");
}
