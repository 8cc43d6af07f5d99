//! Pods on the fake runtime: the infra container, members joining it,
//! start and stop order, removal with the containers.

use super::support::TestEngine;
use crate::pods::PodCreateOptions;
use crate::{ContainerStatus, CreateOptions, Error, NetworkMode};

fn pod_options(name: &str) -> PodCreateOptions {
    PodCreateOptions {
        name: Some(name.into()),
        infra: true,
        network: NetworkMode::None,
        ..Default::default()
    }
}

fn member(e: &TestEngine, name: &str, pod: &str) -> String {
    e.rt.create_container(CreateOptions {
        pod: Some(pod.into()),
        network: NetworkMode::Bridge,
        ..e.options(name)
    })
    .unwrap()
    .id()
    .to_string()
}

/// The ids of the containers the runtime was asked to do `op` for, in order.
fn order(e: &TestEngine, op: &str) -> Vec<String> {
    e.fake
        .calls()
        .into_iter()
        .filter(|c| c.op == op)
        .map(|c| c.id)
        .collect()
}

#[test]
fn a_pod_starts_its_infra_first_and_stops_it_last() {
    let e = TestEngine::new();
    let pod = e.rt.create_pod(pod_options("p")).unwrap();
    let infra = pod.infra_id.clone().expect("an infra container");
    let infra_ctr = e.rt.container(&infra).unwrap();
    assert!(infra_ctr.config().is_infra);
    assert_eq!(infra_ctr.config().pod.as_deref(), Some(pod.id.as_str()));
    assert_eq!(infra_ctr.config().entrypoint, ["/catatonit", "-P"]);

    let a = member(&e, "a", "p");
    let b = member(&e, "b", "p");
    let a_ctr = e.rt.container(&a).unwrap();
    // Members join the infra's network namespace and depend on it.
    assert_eq!(
        a_ctr.config().network,
        NetworkMode::Container(infra.clone())
    );
    assert!(a_ctr.config().dependencies.contains(&infra));
    assert_eq!(a_ctr.config().hostname, pod.hostname);
    assert_eq!(e.rt.pod_containers(&pod).unwrap().len(), 3);
    assert_eq!(e.rt.pod_status(&pod).unwrap(), "Created");

    e.rt.pod_start(&pod).unwrap();
    let started = order(&e, "start");
    assert_eq!(started[0], infra, "{started:?}");
    assert_eq!(started.len(), 3);
    for id in [&infra, &a, &b] {
        assert_eq!(
            e.rt.container(id).unwrap().status(),
            ContainerStatus::Running
        );
    }
    assert_eq!(e.rt.pod_status(&pod).unwrap(), "Running");
    // The members' spec joins the infra's namespace through its pid.
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a_ctr.bundle().join("config.json")).unwrap())
            .unwrap();
    let infra_pid = e.rt.container(&infra).unwrap().state().pid;
    let net = spec["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "network")
        .cloned()
        .unwrap();
    assert_eq!(net["path"], format!("/proc/{infra_pid}/ns/net"));

    e.fake.clear_calls();
    e.rt.pod_stop(&pod, Some(1)).unwrap();
    let stopped = order(&e, "signal");
    assert_eq!(stopped.len(), 3, "{:?}", e.fake.calls());
    assert_eq!(stopped.last(), Some(&infra), "{stopped:?}");
    for id in [&infra, &a, &b] {
        assert_eq!(
            e.rt.container(id).unwrap().status(),
            ContainerStatus::Exited
        );
    }
    assert_eq!(e.rt.pod_status(&pod).unwrap(), "Exited");
}

#[test]
fn removing_a_pod_takes_its_containers_and_needs_force_while_running() {
    let e = TestEngine::new();
    let pod = e.rt.create_pod(pod_options("gone")).unwrap();
    let infra = pod.infra_id.clone().unwrap();
    let a = member(&e, "a", "gone");
    e.rt.pod_start(&pod).unwrap();

    let err = e.rt.pod_remove(&pod, false, None).unwrap_err();
    assert!(err.to_string().contains("running containers"), "{err}");
    assert_eq!(
        e.rt.container(&a).unwrap().status(),
        ContainerStatus::Running
    );
    // The infra container alone cannot go while a member depends on it.
    let err =
        e.rt.container(&infra)
            .unwrap()
            .remove(false, None)
            .unwrap_err();
    assert_eq!(err.exit_code(), 125, "{err:?}");

    let mut removed = e.rt.pod_remove(&pod, true, Some(0)).unwrap();
    removed.sort();
    let mut expected = vec![a.clone(), infra.clone()];
    expected.sort();
    assert_eq!(removed, expected);
    for id in [&a, &infra] {
        assert!(matches!(e.rt.container(id), Err(Error::NoSuchContainer(_))));
        assert!(e.fake.container(id).is_none());
    }
    let err = e.rt.pod("gone").unwrap_err();
    assert!(matches!(err, Error::NoSuchPod(_)), "{err:?}");
    assert!(e.rt.pods().unwrap().is_empty());
}

#[test]
fn a_pod_without_infra_cannot_share_and_a_new_pod_is_made_on_demand() {
    let e = TestEngine::new();
    let err =
        e.rt.create_pod(PodCreateOptions {
            name: Some("bare".into()),
            infra: false,
            share: Some(vec!["net".into()]),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");

    let id =
        e.rt.create_container(CreateOptions {
            pod: Some("new:fresh".into()),
            ..e.options("inside")
        })
        .unwrap()
        .id()
        .to_string();
    let pod = e.rt.pod("fresh").unwrap();
    let members: Vec<_> =
        e.rt.pod_containers(&pod)
            .unwrap()
            .iter()
            .map(|c| c.id().to_string())
            .collect();
    assert!(members.contains(&id));
    assert_eq!(members.len(), 2);
}
