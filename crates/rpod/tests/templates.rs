//! `--format` templates rendered by rpod and by Podman over the same
//! objects: a container from the same busybox image, created the same way in
//! both, with IDs and times masked before comparing byte for byte.

mod common;

use common::{describe, Engine, Podman};
use regex::Regex;

/// Replaces full and short hex IDs and timestamps with placeholders.
fn mask(s: &str) -> String {
    let time = Regex::new(
        r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?( [+-]\d{4} [A-Z]+|Z|[+-]\d\d:\d\d)?",
    )
    .unwrap();
    let long = Regex::new(r"\b[0-9a-f]{64}\b").unwrap();
    let short = Regex::new(r"\b[0-9a-f]{12}\b").unwrap();
    let s = time.replace_all(s, "<TIME>");
    let s = long.replace_all(&s, "<ID>");
    short.replace_all(&s, "<SHORT-ID>").into_owned()
}

/// Both engines with the busybox image imported as `busybox` and a
/// container `c1` running `sleep 1000`.
fn setup(e: &Engine, p: &Podman) {
    let tar = e.busybox_tar();
    let tar = tar.to_str().unwrap();
    e.ok(&["import", "--change", "CMD=sh", tar, "busybox"]);
    p.ok(&["import", "--change", "CMD=sh", tar, "busybox"]);
    let run = [
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "c1",
        "--label",
        "a=b",
        "--label",
        "x=y",
        "--shm-size",
        "32m",
        "busybox",
        "sleep",
        "1000",
    ];
    e.ok(&run);
    p.ok(&run);
}

const INSPECT_TEMPLATES: &[&str] = &[
    "{{.Config.Labels}}",
    "{{.Config.Cmd}}",
    "{{.Name}}",
    "{{.State.Status}}",
    "{{.State.Running}}",
    "{{.HostConfig.ShmSize}}",
    "{{json .Config.Cmd}}",
    "{{json .Config.Labels}}",
    "{{range .Config.Cmd}}{{.}},{{end}}",
    "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}",
    r#"{{index .Config.Labels "a"}}"#,
    r#"{{index .Config.Labels "missing"}}|"#,
    "{{.Config.Labels.missing}}",
    "{{len .Config.Cmd}}",
    "{{if .State.Running}}yes{{else}}no{{end}}",
    r#"{{.State.StartedAt.Format "2006"}}"#,
    "{{.State.StartedAt}}",
    "{{.Created}}",
    "{{.State.FinishedAt}}",
    "{{.State.FinishedAt.IsZero}}",
    r#"{{printf "%s-%d" .Name 5}}"#,
    r#"{{printf "%q %v %5.1f|%-4s|" .Name .State.Running 2.25 .Name}}"#,
    "{{upper .Name}}",
    r#"{{join .Config.Cmd ","}}"#,
    r#"{{title "hello world"}} {{lower "ABC"}} {{truncate .Name 1}}"#,
    r#"{{split "a:b" ":"}}|{{pad .Name 1 2}}|"#,
    "{{.ID}}",
    "{{.Id}}",
    "{{.HostConfig.Memory}}",
    "{{.Mounts}}",
    "{{.NetworkSettings.Networks}}",
    r#"{{eq .State.Status "running"}} {{ne .Name "x"}} {{lt 1 2}} {{and .State.Running .Name}} {{or 0 ""}}|"#,
    r#"{{with .Config}}{{.Cmd}}{{end}} {{$n := .Name}}{{$n}}"#,
    "{{- .Name -}}  {{/* comment */}}",
    // (`define` is left out: Podman wraps inspect templates in a `range`,
    // where `define` is not allowed.)
    r#"{{block "t" .Name}}[{{.}}]{{end}}"#,
    "{{slice .Config.Cmd 1}} {{index .Config.Cmd 0}} {{print .Name 1 2}}",
    "{{html \"<a&b>\"}} {{js \"a'b\"}} {{urlquery \"a b\"}}",
];

const PS_TEMPLATES: &[&str] = &[
    "{{.Names}}",
    "{{.Labels}}",
    "{{.Labels.a}}",
    "{{.Image}}",
    "{{.Command}}",
    "{{.ID}}",
    "{{.CreatedAt}}",
    "table {{.ID}}\\t{{.Names}}",
];

fn compare(e: &Engine, p: &Podman, cmd: &[&str], templates: &[&str]) -> Vec<String> {
    let mut diffs = Vec::new();
    for t in templates {
        let mut args = cmd.to_vec();
        args.extend(["--format", t]);
        if cmd[0] == "inspect" {
            args.push("c1");
        }
        let ours = e.rpod(&args);
        let theirs = p.run(&args);
        assert!(
            theirs.status.success(),
            "podman {args:?}: {}",
            describe(&theirs)
        );
        assert!(ours.status.success(), "rpod {args:?}: {}", describe(&ours));
        let ours = mask(&String::from_utf8_lossy(&ours.stdout));
        let theirs = mask(&String::from_utf8_lossy(&theirs.stdout));
        if ours != theirs {
            diffs.push(format!("{t}\n  rpod:   {ours:?}\n  podman: {theirs:?}"));
        }
    }
    diffs
}

#[test]
fn inspect_and_ps_templates_render_as_podman_renders_them() {
    let e = Engine::new();
    let p = Podman::new(&e);
    setup(&e, &p);
    let mut diffs = compare(&e, &p, &["inspect"], INSPECT_TEMPLATES);
    diffs.extend(compare(&e, &p, &["ps", "-a"], PS_TEMPLATES));
    assert!(
        diffs.is_empty(),
        "templates render differently:\n{}",
        diffs.join("\n")
    );
    // The year is compared unmasked.
    let year = r#"{{.State.StartedAt.Format "2006"}}"#;
    assert_eq!(
        e.ok(&["inspect", "--format", year, "c1"]),
        p.ok(&["inspect", "--format", year, "c1"])
    );
    let _ = e.rpod(&["rm", "-f", "-t", "0", "c1"]);
}

#[test]
fn template_errors_exit_125_with_one_line() {
    let e = Engine::new();
    let p = Podman::new(&e);
    setup(&e, &p);
    for t in [
        "{{.Foo}}",
        "{{.Config.Nope}}",
        "{{.Name",
        "{{nope .Name}}",
        "{{index .Config.Cmd 9}}",
    ] {
        let ours = e.rpod(&["inspect", "--format", t, "c1"]);
        let theirs = p.run(&["inspect", "--format", t, "c1"]);
        assert_eq!(
            theirs.status.code(),
            Some(125),
            "podman {t}: {}",
            describe(&theirs)
        );
        assert_eq!(
            ours.status.code(),
            Some(125),
            "rpod {t}: {}",
            describe(&ours)
        );
        let err = String::from_utf8_lossy(&ours.stderr);
        let err = err.trim();
        assert_eq!(err.lines().count(), 1, "{t}: {err}");
        assert!(err.contains("template: "), "{t}: {err}");
        assert!(!err.contains("sleep"), "the error dumps the object: {err}");
    }
    let err = String::from_utf8_lossy(&e.rpod(&["inspect", "--format", "{{.Foo}}", "c1"]).stderr)
        .into_owned();
    assert!(
        err.contains(r#":1:2: executing "" at <.Foo>: can't evaluate field Foo"#),
        "{err}"
    );
    let _ = e.rpod(&["rm", "-f", "-t", "0", "c1"]);
}
