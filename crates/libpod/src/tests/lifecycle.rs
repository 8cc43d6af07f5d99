//! The container state machine and its guards, on the fake runtime.

use ocirt::fake::FakeExec;
use ocirt::RuntimeStatus;

use super::support::TestEngine;
use crate::container::{CheckpointOptions, ExecOptions, RestoreOptions};
use crate::{ContainerStatus, Error, Operation};

#[test]
fn create_start_stop_records_the_exit_and_cleans_up() {
    let e = TestEngine::new();
    let mut c = e.create("web");
    assert_eq!(c.status(), ContainerStatus::Configured);
    assert!(e.fake.container(c.id()).is_none());
    c.start().unwrap();
    assert_eq!(c.status(), ContainerStatus::Running);
    let id = c.id().to_string();
    let fc = e.fake.container(&id).unwrap();
    assert_eq!(fc.status, RuntimeStatus::Running);
    assert_eq!(fc.args, ["/bin/app", "--serve"]);
    assert_eq!(c.state().pid, fc.pid);
    assert_eq!(fc.bundle, c.bundle());
    assert!(c.bundle().join("config.json").is_file());
    assert!(c.state().started_at.is_some());

    c.stop(Some(10)).unwrap();
    let c = e.reload("web");
    assert_eq!(c.status(), ContainerStatus::Exited);
    // SIGTERM ended it: 128 + 15, as the monitor reports a signal.
    assert_eq!(c.state().exit_code, 143);
    assert!(c.state().finished_at.is_some());
    assert!(c.state().stopped_by_user);
    assert_eq!(c.state().pid, 0);
    assert!(c.state().mount_point.is_none());
    // Out of the runtime after the cleanup.
    assert!(e.fake.container(&id).is_none());
    assert_eq!(
        e.fake.actions_for(&id),
        ["create", "start", "signal", "delete"],
        "{:?}",
        e.fake.calls()
    );
}

#[test]
fn starting_a_running_container_is_refused_with_its_state() {
    let e = TestEngine::new();
    let mut c = e.create("twice");
    c.start().unwrap();
    let err = c.start().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                state: ContainerStatus::Running,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("container state improper"),
        "{err}"
    );
    assert_eq!(err.exit_code(), 125);
    // Nothing reached the runtime a second time.
    assert_eq!(e.fake.actions_for(c.id()), ["create", "start"]);
}

#[test]
fn stopping_a_stopped_container_does_nothing() {
    let e = TestEngine::new();
    let mut c = e.create("idle");
    c.stop(None).unwrap();
    assert_eq!(c.status(), ContainerStatus::Configured);
    c.start().unwrap();
    c.stop(Some(1)).unwrap();
    e.fake.clear_calls();
    let mut c = e.reload("idle");
    c.stop(Some(1)).unwrap();
    assert_eq!(e.reload("idle").status(), ContainerStatus::Exited);
    assert!(
        e.fake.actions_for(c.id()).is_empty(),
        "{:?}",
        e.fake.calls()
    );
}

#[test]
fn a_stop_signal_that_is_ignored_ends_in_sigkill() {
    let e = TestEngine::new();
    let mut c = e.create("stubborn");
    c.start().unwrap();
    e.fake.ignore_signal(libc::SIGTERM);
    c.stop(Some(1)).unwrap();
    let c = e.reload("stubborn");
    assert_eq!(c.status(), ContainerStatus::Exited);
    assert_eq!(c.state().exit_code, 137);
    let signals: Vec<_> = e
        .fake
        .calls()
        .into_iter()
        .filter(|call| call.op == "signal")
        .map(|call| call.detail)
        .collect();
    assert_eq!(signals, ["15", "9"]);
}

#[test]
fn removing_a_running_container_needs_force() {
    let e = TestEngine::new();
    let mut c = e.create("busy");
    c.start().unwrap();
    let id = c.id().to_string();
    let err = c.remove(false, None).unwrap_err();
    assert!(matches!(err, Error::InvalidState { .. }), "{err:?}");
    assert_eq!(err.exit_code_for(Operation::Remove), 2);
    assert_eq!(e.reload("busy").status(), ContainerStatus::Running);

    let mut c = e.reload("busy");
    let removed = c.remove(true, Some(0)).unwrap();
    assert_eq!(removed, std::slice::from_ref(&id));
    assert!(e.fake.container(&id).is_none());
    let err = e.rt.container("busy").err().unwrap();
    assert!(matches!(err, Error::NoSuchContainer(_)), "{err:?}");
    assert_eq!(err.exit_code_for(Operation::Remove), 1);
    assert_eq!(err.exit_code(), 125);
    assert!(!e.rt.paths().userdata(&id).exists());
    assert!(!e.rt.paths().rundir(&id).exists());
}

#[test]
fn pause_and_unpause_follow_the_runtime() {
    let e = TestEngine::new();
    let mut c = e.create("frozen");
    let err = c.pause().unwrap_err();
    assert!(matches!(err, Error::InvalidState { .. }), "{err:?}");
    c.start().unwrap();
    c.pause().unwrap();
    assert_eq!(e.reload("frozen").status(), ContainerStatus::Paused);
    assert_eq!(e.fake.status(c.id()), Some(RuntimeStatus::Paused));
    assert!(matches!(c.pause(), Err(Error::InvalidState { .. })));
    c.unpause().unwrap();
    assert_eq!(e.reload("frozen").status(), ContainerStatus::Running);
    assert!(matches!(c.unpause(), Err(Error::InvalidState { .. })));

    // Stopping a paused container thaws it so the signal is acted on.
    c.pause().unwrap();
    c.stop(Some(5)).unwrap();
    let c = e.reload("frozen");
    assert_eq!(c.status(), ContainerStatus::Exited);
    assert_eq!(c.state().exit_code, 143);
}

#[test]
fn an_exit_of_its_own_is_recorded_and_waited_for() {
    let e = TestEngine::new();
    let mut c = e.create("job");
    c.start().unwrap();
    e.fake.exit(c.id(), 42).unwrap();
    assert_eq!(c.wait(&[]).unwrap(), 42);
    let c = e.reload("job");
    assert_eq!(c.status(), ContainerStatus::Stopped);
    assert_eq!(c.state().exit_code, 42);
    assert!(!c.state().stopped_by_user);
    // A stopped container starts again: cleaned up, created anew.
    let mut c = e.reload("job");
    c.start().unwrap();
    assert_eq!(c.status(), ContainerStatus::Running);
    assert_eq!(
        e.fake.actions_for(c.id()),
        ["create", "start", "delete", "create", "start"]
    );
}

#[test]
fn restart_runs_a_new_process() {
    let e = TestEngine::new();
    let mut c = e.create("again");
    c.start().unwrap();
    let first_pid = c.state().pid;
    c.restart(Some(1)).unwrap();
    let c = e.reload("again");
    assert_eq!(c.status(), ContainerStatus::Running);
    assert_ne!(c.state().pid, first_pid);
    assert_eq!(c.state().exit_code, 0, "a new run clears the last code");
    assert_eq!(
        e.fake.actions_for(c.id()),
        ["create", "start", "signal", "delete", "create", "start"]
    );
}

#[test]
fn kill_sends_the_signal_and_marks_a_user_stop() {
    let e = TestEngine::new();
    let mut c = e.create("target");
    assert!(matches!(c.kill(9), Err(Error::InvalidState { .. })));
    c.start().unwrap();
    c.kill(libc::SIGKILL).unwrap();
    let c = e.reload("target");
    assert_eq!(c.status(), ContainerStatus::Stopped);
    assert_eq!(c.state().exit_code, 137);
    assert!(c.state().stopped_by_user);
}

#[test]
fn a_failing_runtime_start_leaves_the_container_created() {
    let e = TestEngine::new();
    let mut c = e.create("flaky");
    e.fake.fail_next("start", "cgroup setup failed");
    let err = c.start().unwrap_err();
    assert!(matches!(err, Error::Runtime(_)), "{err:?}");
    assert!(err.to_string().contains("cgroup setup failed"), "{err}");
    assert_eq!(err.exit_code(), 125);
    assert_eq!(e.reload("flaky").status(), ContainerStatus::Created);
    // The next start uses the container already created.
    let mut c = e.reload("flaky");
    c.start().unwrap();
    assert_eq!(
        e.fake.actions_for(c.id()),
        ["create", "start", "start"],
        "{:?}",
        e.fake.calls()
    );
}

#[test]
fn create_failures_get_podmans_exit_codes_and_are_undone() {
    let e = TestEngine::new();
    let mut c = e.create("missing");
    e.fake.fail_next(
        "create",
        "exec: \"/bin/app\": executable file not found in $PATH",
    );
    let err = c.start().unwrap_err();
    assert!(matches!(err, Error::CommandNotFound(_)), "{err:?}");
    assert_eq!(err.exit_code(), 127);
    let c = e.reload("missing");
    assert_eq!(c.status(), ContainerStatus::Configured);
    assert!(c.state().mount_point.is_none());

    let mut c = e.create("noexec");
    e.fake
        .fail_next("create", "exec /bin/app: permission denied: exec failed");
    let err = c.start().unwrap_err();
    assert_eq!(err.exit_code(), 126, "{err:?}");
}

#[test]
fn exec_runs_in_running_containers_only() {
    let e = TestEngine::new();
    let mut c = e.create("shell");
    let opts = ExecOptions {
        command: vec!["ls".into(), "-l".into()],
        ..Default::default()
    };
    let err = c.exec(&opts).unwrap_err();
    assert!(matches!(err, Error::InvalidState { .. }), "{err:?}");
    assert_eq!(err.exit_code_for(Operation::Exec), 255);

    c.start().unwrap();
    e.fake.push_exec(FakeExec {
        exit_code: 3,
        ..Default::default()
    });
    assert_eq!(c.exec(&opts).unwrap(), 3);
    let call = e
        .fake
        .calls()
        .into_iter()
        .rfind(|c| c.op == "exec")
        .unwrap();
    assert_eq!(call.detail, "ls -l");
    // Sessions end with their process.
    assert!(e.reload("shell").state().exec_sessions.is_empty());

    e.fake.push_exec(FakeExec {
        runtime_error: Some(
            "exec failed: unable to start container process: exec: \"nope\": executable file not found in $PATH".into(),
        ),
        ..Default::default()
    });
    let err = c
        .exec(&ExecOptions {
            command: vec!["nope".into()],
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::CommandNotFound(_)), "{err:?}");
    assert_eq!(err.exit_code(), 127);

    assert_eq!(
        c.exec(&ExecOptions {
            command: vec!["sleep".into(), "9".into()],
            detach: true,
            ..Default::default()
        })
        .unwrap(),
        0
    );
}

#[test]
fn top_lists_the_runtimes_processes() {
    let e = TestEngine::new();
    let mut c = e.create("procs");
    c.start().unwrap();
    let pids = c.process_ids().unwrap();
    assert_eq!(pids, [c.state().pid]);
    assert_eq!(e.fake.ops_for(c.id()).last(), Some(&"pids"));
}

#[test]
fn checkpoint_and_restore_go_through_the_runtime() {
    let e = TestEngine::new();
    let mut c = e.create("saved");
    c.start().unwrap();
    e.fake
        .set_checkpoint_unavailable(Some("criu is not installed"));
    let err = c.checkpoint(&CheckpointOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("not possible on this host"),
        "{err}"
    );
    assert_eq!(e.fake.status(c.id()), Some(RuntimeStatus::Running));

    e.fake.set_checkpoint_unavailable(None);
    c.checkpoint(&CheckpointOptions::default()).unwrap();
    let mut c = e.reload("saved");
    assert_eq!(c.status(), ContainerStatus::Stopped);
    assert!(matches!(
        c.checkpoint(&CheckpointOptions::default()),
        Err(Error::InvalidState { .. })
    ));

    c.restore(&RestoreOptions::default()).unwrap();
    let c = e.reload("saved");
    assert_eq!(c.status(), ContainerStatus::Running);
    let fc = e.fake.container(c.id()).unwrap();
    assert_eq!(c.state().pid, fc.pid);
    assert_eq!(c.state().monitor_pid, 0);
    // No monitor watches a restored container: the runtime says it ended,
    // with an unknown code.
    e.fake.exit(c.id(), 0).unwrap();
    let c = e.reload("saved");
    assert_eq!(c.status(), ContainerStatus::Stopped);
    assert_eq!(c.state().exit_code, -1);
}

#[test]
fn update_hands_the_runtime_new_resources() {
    let e = TestEngine::new();
    let mut c = e.create("limits");
    c.start().unwrap();
    c.update(&crate::container::UpdateOptions {
        resources: crate::container::Resources {
            memory: Some(64 << 20),
            cpu_shares: Some(512),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let resources = e.fake.container(c.id()).unwrap().resources.unwrap();
    assert_eq!(resources["memory"]["limit"], 64 << 20, "{resources}");
    assert_eq!(resources["cpu"]["shares"], 512, "{resources}");
    // Recorded: a later update keeps what an earlier one set.
    c.update(&crate::container::UpdateOptions {
        resources: crate::container::Resources {
            cpus: Some(0.5),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let resources = e.fake.container(c.id()).unwrap().resources.unwrap();
    assert_eq!(resources["memory"]["limit"], 64 << 20, "{resources}");
    assert_eq!(resources["cpu"]["quota"], 50_000, "{resources}");
    let c = e.reload("limits");
    assert_eq!(c.config().resources.cpu_shares, Some(512));
}

#[test]
fn batch_commands_walk_dependencies_in_waves_and_start_each_once() {
    use crate::DependencyOrder;
    let e = TestEngine::new();
    e.create("base");
    let with_requires = |name: &str, requires: &str| {
        let mut o = e.options(name);
        o.requires = vec![requires.into()];
        e.rt.create_container(o).unwrap();
    };
    with_requires("app", "base");
    with_requires("front", "app");
    e.create("lone");
    let names: Vec<String> = ["front", "lone", "base", "app", "ghost"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // Dependencies first: base and the unrelated ones, then app, then front.
    assert_eq!(
        e.rt.dependency_waves(&names, DependencyOrder::DependenciesFirst),
        vec![vec![1, 2, 4], vec![3], vec![0]]
    );
    assert_eq!(
        e.rt.dependency_waves(&names, DependencyOrder::DependentsFirst),
        vec![vec![0, 1, 4], vec![3], vec![2]]
    );
    assert_eq!(
        e.rt.dependency_waves(&names, DependencyOrder::Independent),
        vec![vec![0, 1, 2, 3, 4]]
    );
    // Starting all side by side starts each container once, in order.
    let results =
        e.rt.on_each_container_ordered(&names, DependencyOrder::DependenciesFirst, |c| c.start());
    assert!(matches!(results[4], Err(Error::NoSuchContainer(_))));
    assert!(results[..4].iter().all(Result::is_ok), "{results:?}");
    for n in ["front", "lone", "base", "app"] {
        let c = e.reload(n);
        assert_eq!(c.status(), ContainerStatus::Running, "{n}");
        assert_eq!(
            e.fake
                .actions_for(c.id())
                .iter()
                .filter(|a| **a == "start")
                .count(),
            1,
            "{n}"
        );
    }
}
