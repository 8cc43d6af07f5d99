//! Exit codes and the key phrases of error messages, side by side with the
//! installed podman: the same command against the same objects in both
//! engines must exit with the same code, and both messages must carry
//! Podman's phrase for the error.

mod common;

use common::*;

/// One command: its arguments, the exit code Podman gives, and phrases
/// (lower case) that both engines' messages must contain.
struct Case {
    args: &'static [&'static str],
    code: i32,
    phrases: &'static [&'static str],
}

const fn case(args: &'static [&'static str], code: i32, phrases: &'static [&'static str]) -> Case {
    Case {
        args,
        code,
        phrases,
    }
}

const CASES: &[Case] = &[
    // Removal of a missing object: 1; with --ignore (or rm --force): 0.
    case(&["rm", "nosuch"], 1, &["no such container"]),
    case(&["rm", "--ignore", "nosuch"], 0, &[]),
    case(&["rm", "--force", "nosuch"], 0, &[]),
    case(&["rmi", "nosuch"], 1, &["image not known"]),
    case(&["rmi", "--ignore", "nosuch"], 0, &[]),
    case(&["volume", "rm", "nosuch"], 1, &["no such volume"]),
    case(&["pod", "rm", "nosuch"], 1, &["no such pod"]),
    case(&["pod", "rm", "--ignore", "nosuch"], 0, &[]),
    case(&["network", "rm", "nosuch"], 1, &["network not found"]),
    // Removal of an object in use or in the wrong state: 2.
    case(&["rm", "up"], 2, &["container state improper"]),
    case(&["rmi", "probe"], 2, &["image is in use by a container"]),
    case(&["volume", "rm", "vol"], 2, &["volume is being used"]),
    // exec into a container that is not running: 255.
    case(
        &["exec", "made", "true"],
        255,
        &["container state improper"],
    ),
    case(&["exec", "nosuch", "true"], 125, &["no such container"]),
    // Other lookups of missing objects are engine errors.
    case(&["stop", "nosuch"], 125, &["no such container"]),
    case(&["inspect", "nosuch"], 125, &["no such object"]),
    case(&["image", "inspect", "nosuch"], 125, &["image not known"]),
    case(&["volume", "inspect", "nosuch"], 125, &["no such volume"]),
    case(&["pod", "inspect", "nosuch"], 125, &["no such pod"]),
    case(&["container", "exists", "nosuch"], 1, &[]),
    // Argument conflicts.
    case(
        &["start", "--all", "up"],
        125,
        &["either start all containers or the container(s) provided in the arguments"],
    ),
    case(
        &["rm", "--all", "up"],
        125,
        &["no arguments are needed with --all"],
    ),
    case(
        &["stop", "--all", "up"],
        125,
        &["no arguments are needed with --all"],
    ),
    case(
        &["kill", "--all", "up"],
        125,
        &["no arguments are needed with --all"],
    ),
    case(&["kill", "-s", "0", "up"], 125, &["invalid signal"]),
    case(
        &["run", "--restart=bogus", "probe", "true"],
        125,
        &["restart policy"],
    ),
    case(
        &["run", "--rm", "--restart=always", "probe", "true"],
        125,
        &["the --rm option conflicts with --restart"],
    ),
    case(
        &["create", "--name", "made", "probe", "true"],
        125,
        &["that name is already in use"],
    ),
    // Container state errors of other commands.
    case(&["unpause", "up"], 125, &["container state improper"]),
    // The container command cannot be run.
    case(&["run", "--rm", "probe", "/nonexistent"], 127, &[]),
    case(&["run", "--rm", "probe", "/etc"], 126, &[]),
];

fn setup(run: impl Fn(&[&str])) {
    run(&["create", "--name", "made", "probe", "true"]);
    run(&["run", "-d", "--name", "up", "probe", "sleep", "1000"]);
    run(&["volume", "create", "vol"]);
    run(&["create", "--name", "vuser", "-v", "vol:/v", "probe", "true"]);
}

#[test]
fn exit_codes_and_messages_match_podman() {
    let b = Both::new();
    setup(|args| {
        b.e.ok(args);
    });
    setup(|args| {
        b.p.ok(args);
    });
    let mut failures = Vec::new();
    for c in CASES {
        let ours = b.e.rpod(c.args);
        let theirs = b.p.run(c.args);
        let (oc, tc) = (ours.status.code(), theirs.status.code());
        let our_err = String::from_utf8_lossy(&ours.stderr).to_lowercase();
        let their_err = String::from_utf8_lossy(&theirs.stderr).to_lowercase();
        if tc != Some(c.code) {
            failures.push(format!(
                "{:?}: podman exits {tc:?}, the case says {}: {their_err}",
                c.args, c.code
            ));
        }
        if oc != Some(c.code) {
            failures.push(format!(
                "{:?}: rpod exits {oc:?}, podman {tc:?}: {our_err}",
                c.args
            ));
        }
        for p in c.phrases {
            if !their_err.contains(p) {
                failures.push(format!(
                    "{:?}: podman's message lacks {p:?}: {their_err}",
                    c.args
                ));
            }
            if !our_err.contains(p) {
                failures.push(format!(
                    "{:?}: rpod's message lacks {p:?}: {our_err}",
                    c.args
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    // Nothing was removed by the refused commands.
    for name in ["made", "up", "vuser"] {
        assert!(b.e.exists(name), "{name} is gone");
    }
}

/// A network in use: Podman's exit code 2 and phrase. (Podman keeps its
/// networks host-wide, so this side is rpod's alone; the code and phrase
/// are Podman 4.3.1's.)
#[test]
fn removing_a_network_in_use_is_refused_as_podman_does() {
    let e = Engine::with_image();
    e.ok(&["network", "create", "busy"]);
    e.ok(&[
        "create",
        "--name",
        "user",
        "--network",
        "busy",
        "busybox",
        "true",
    ]);
    let out = e.rpod(&["network", "rm", "busy"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("network is being used"));
    e.ok(&["rm", "user"]);
    e.ok(&["network", "rm", "busy"]);
}
