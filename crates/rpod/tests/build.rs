//! `rpod build` against `podman build`: the same Containerfiles on the same busybox base,
//! compared by image config and file tree; the step cache; errors; every flag of
//! `podman build --help` parses.

mod api_support;
mod build_support;
mod common;

use std::process::Command;
use std::time::Duration;

use build_support::*;
use common::*;

#[test]
fn parity_multi_stage_copy_from_user_workdir_volume_healthcheck() {
    let b = pair();
    let ctx = b.e.file("ctx1");
    write_tree(
        &ctx,
        &[
            ("app/main.sh", "#!/bin/sh\necho main\n"),
            ("app/lib/util.sh", "echo util\n"),
            ("notes.txt", "hello\n"),
            (
                "Containerfile",
                "ARG BASE=busybox\n\
                 FROM $BASE AS builder\n\
                 RUN mkdir -p /out/bin && echo built > /out/bin/artifact && chmod 750 /out/bin/artifact \\\n    && ln -s artifact /out/bin/link\n\
                 COPY app /src/app\n\
                 FROM ${BASE}\n\
                 ARG VERSION=1.0\n\
                 ENV APP_HOME=/opt/app VERSION=${VERSION} GREETING=\"hello world\"\n\
                 LABEL org.example.version=$VERSION description=\"a test image\"\n\
                 WORKDIR $APP_HOME/data\n\
                 COPY --from=builder /out/bin/ ./bin/\n\
                 COPY --from=builder /src/app/main.sh /usr/local/bin/main\n\
                 COPY --from=builder /src/app /opt/appcopy\n\
                 COPY --chown=nobody:nogroup --chmod=640 notes.txt ${APP_HOME}/\n\
                 USER nobody\n\
                 WORKDIR /home/nobody/work\n\
                 VOLUME [\"/data\", \"/cache\"]\n\
                 EXPOSE 8080 53/udp\n\
                 HEALTHCHECK --interval=30s --timeout=3s --retries=4 CMD [\"/bin/true\"]\n\
                 STOPSIGNAL SIGINT\n\
                 ENTRYPOINT [\"/usr/local/bin/main\"]\n\
                 CMD [\"--help\"]\n",
            ),
        ],
    );
    b.build_both(
        &ctx,
        "parity1",
        &["--format", "docker", "--build-arg", "VERSION=2.5"],
    );
    b.compare("parity1");
}

#[test]
fn parity_add_tarball_and_ignore_file() {
    let b = pair();
    let ctx = b.e.file("ctx2");
    write_tree(
        &ctx,
        &[
            ("keep/a.txt", "a\n"),
            ("keep/skip.log", "log\n"),
            ("keep/important.log", "important\n"),
            ("secret.key", "nope\n"),
            (".containerignore", "*.key\n**/*.log\n!keep/important.log\n"),
            (
                "Containerfile",
                "FROM busybox\n\
                 ADD payload.tar.gz /opt/\n\
                 ADD plain.txt /opt/plain-copy.txt\n\
                 COPY . /ctx/\n\
                 COPY keep/*.txt /globbed/\n\
                 COPY keep /keepdir\n\
                 RUN rm /opt/pkg/remove-me && mkdir -p /var/lib/thing && touch /var/lib/thing/made\n\
                 CMD [\"sh\"]\n",
            ),
            ("plain.txt", "plain\n"),
        ],
    );
    // A gzipped tarball with a directory, an executable, a symlink and an owner.
    let payload = b.e.file("payload");
    write_tree(
        &payload,
        &[
            ("pkg/bin/tool", "#!/bin/sh\n"),
            ("pkg/README", "read me\n"),
            ("pkg/remove-me", "x"),
        ],
    );
    std::fs::set_permissions(
        payload.join("pkg/bin/tool"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("bin/tool", payload.join("pkg/tool-link")).unwrap();
    let st = Command::new("tar")
        .arg("-czf")
        .arg(ctx.join("payload.tar.gz"))
        .args(["--owner=123", "--group=456", "-C"])
        .arg(&payload)
        .arg("pkg")
        .status()
        .unwrap();
    assert!(st.success());
    b.build_both(&ctx, "parity2", &[]);
    b.compare("parity2");
}

#[test]
fn parity_onbuild_and_shell() {
    let b = pair();
    let base = b.e.file("ctx3-base");
    write_tree(
        &base,
        &[
            ("hello.txt", "hi\n"),
            (
                "Containerfile",
                "FROM busybox\n\
                 ONBUILD COPY hello.txt /onbuild/hello.txt\n\
                 ONBUILD RUN echo triggered > /onbuild/ran\n\
                 SHELL [\"/bin/sh\", \"-ec\"]\n\
                 MAINTAINER someone@example.com\n",
            ),
        ],
    );
    b.build_both(&base, "onbuild-base", &["--format", "docker"]);
    b.compare("onbuild-base");
    let child = b.e.file("ctx3-child");
    write_tree(
        &child,
        &[
            ("hello.txt", "hello from the child\n"),
            (
                "Containerfile",
                "FROM onbuild-base\nRUN cat /onbuild/hello.txt /onbuild/ran > /both\n",
            ),
        ],
    );
    b.build_both(&child, "onbuild-child", &["--format", "docker"]);
    b.compare("onbuild-child");
}

/// The image ID printed last by a quiet build.
fn quiet_id(out: &str) -> String {
    out.lines().last().unwrap_or_default().trim().to_string()
}

#[test]
fn cache_reuses_steps_and_rebuilds_from_a_changed_file() {
    let e = engine();
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[
            ("one.txt", "1\n"),
            ("two.txt", "2\n"),
            (
                "Containerfile",
                "FROM busybox\nENV A=1\nCOPY one.txt /one.txt\nRUN echo step > /step\nCOPY two.txt /two.txt\nCMD [\"sh\"]\n",
            ),
        ],
    );
    let c = ctx.to_str().unwrap();
    let first = e.ok(&["build", "-t", "cached", c]);
    assert!(!first.contains("Using cache"), "{first}");
    assert!(first.contains("STEP 1/6: FROM busybox"), "{first}");
    assert!(first.contains("COMMIT cached"), "{first}");
    assert!(
        first.contains("Successfully tagged localhost/cached:latest"),
        "{first}"
    );
    let id1 = quiet_id(&first);
    let second = e.ok(&["build", "-t", "cached", c]);
    assert_eq!(second.matches("--> Using cache").count(), 5, "{second}");
    assert_eq!(
        quiet_id(&second),
        id1,
        "a full cache hit gives the same image"
    );
    // Same mtime, different content: the content hash decides.
    std::fs::write(ctx.join("two.txt"), "3\n").unwrap();
    let third = e.ok(&["build", "-t", "cached", c]);
    assert_eq!(third.matches("--> Using cache").count(), 3, "{third}");
    assert_ne!(quiet_id(&third), id1);
    // --no-cache rebuilds every step.
    let fourth = e.ok(&["build", "--no-cache", "-t", "cached", c]);
    assert!(!fourth.contains("Using cache"), "{fourth}");
    // --layers=false neither uses nor needs the cache.
    let fifth = e.ok(&["build", "--layers=false", c]);
    assert!(!fifth.contains("Using cache"), "{fifth}");
    assert!(e.all_ids().is_empty(), "no RUN container is left");
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn timestamp_gives_reproducible_ids_and_quiet_prints_only_the_id() {
    let e = engine();
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[
            ("f", "x\n"),
            (
                "Containerfile",
                "FROM busybox\nCOPY f /f\nRUN echo hi > /g\nENV X=1\n",
            ),
        ],
    );
    let c = ctx.to_str().unwrap();
    let a = e.ok(&["build", "-q", "--no-cache", "--timestamp", "1700000000", c]);
    let b = e.ok(&["build", "-q", "--no-cache", "--timestamp", "1700000000", c]);
    assert_eq!(a.lines().count(), 1, "{a}");
    assert_eq!(a, b, "same --timestamp, same image ID");
    let created = e.ok(&["image", "inspect", "--format", "{{.Created}}", &a]);
    assert!(created.starts_with("2023-11-14 22:13:20"), "{created}");
}

#[test]
fn cli_forms_stdin_context_iidfile_and_aliases() {
    let e = engine();
    // -f - with a context directory.
    let ctx = e.file("ctx");
    write_tree(&ctx, &[("f", "x\n")]);
    let out = e.rpod_stdin(
        &[
            "build",
            "-q",
            "-t",
            "from-stdin",
            "-f",
            "-",
            ctx.to_str().unwrap(),
        ],
        b"FROM busybox\nCOPY f /f\n",
    );
    assert!(out.status.success(), "{}", describe(&out));
    // A tar context on stdin, with its Dockerfile inside.
    let tar = tar_with_files(&[
        ("Dockerfile", &b"FROM busybox\nCOPY data /data\n"[..]),
        ("data", &b"d\n"[..]),
    ]);
    let iid = e.file("iid");
    let out = e.rpod_stdin(
        &[
            "image",
            "build",
            "-t",
            "tar-ctx",
            "--iidfile",
            iid.to_str().unwrap(),
            "-",
        ],
        &tar,
    );
    assert!(out.status.success(), "{}", describe(&out));
    let id = std::fs::read_to_string(&iid).unwrap();
    assert!(id.starts_with("sha256:"), "{id}");
    let inspected = e.ok(&["image", "inspect", "--format", "{{.Id}}", "tar-ctx"]);
    assert_eq!(id.trim_start_matches("sha256:"), inspected);
    assert_eq!(e.ok(&["run", "--rm", "tar-ctx", "cat", "/data"]), "d");
    // -o type=local,dest=DIR also copies the image's files out.
    let out_dir = e.file("exported");
    let out = e.rpod_stdin(
        &[
            "build",
            "-q",
            "-o",
            &format!("type=local,dest={}", out_dir.display()),
            "-",
        ],
        &tar,
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("data")).unwrap(),
        "d\n"
    );
    assert!(out_dir.join("bin/busybox").exists());
    // buildx build, several tags, --label/--env/--annotation on the final image.
    let out = e.rpod_stdin(
        &[
            "buildx",
            "build",
            "-q",
            "-t",
            "one",
            "-t",
            "two:v2",
            "--label",
            "l=1",
            "--env",
            "E=2",
            "-f",
            "-",
            ctx.to_str().unwrap(),
        ],
        b"FROM busybox\nLABEL x=y\n",
    );
    assert!(out.status.success(), "{}", describe(&out));
    let labels = e.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Labels}}",
        "localhost/two:v2",
    ]);
    assert!(
        labels.contains("\"l\":\"1\"") && labels.contains("\"x\":\"y\""),
        "{labels}"
    );
    let env = e.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        "one",
    ]);
    assert!(env.contains("E=2"), "{env}");
}

#[test]
fn heredocs_args_and_expansion() {
    let e = engine();
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[(
            "Containerfile",
            "FROM busybox\n\
             ARG WHO\n\
             ENV GREETING=${WHO:-nobody} ALT=${WHO:+set}\n\
             RUN <<EOF\n\
             echo first > /h1\n\
             echo \"$GREETING\" >> /h1\n\
             EOF\n\
             COPY <<EOT /etc/inline.conf\n\
             key=$GREETING\n\
             EOT\n\
             RUN echo $TARGETARCH > /arch\n",
        )],
    );
    e.ok(&[
        "build",
        "-q",
        "-t",
        "heredoc",
        "--build-arg",
        "WHO=alice",
        ctx.to_str().unwrap(),
    ]);
    assert_eq!(
        e.ok(&["run", "--rm", "heredoc", "cat", "/h1"]),
        "first\nalice"
    );
    assert_eq!(
        e.ok(&["run", "--rm", "heredoc", "cat", "/etc/inline.conf"]),
        "key=alice"
    );
    let env = e.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        "heredoc",
    ]);
    assert!(
        env.contains("GREETING=alice") && env.contains("ALT=set"),
        "{env}"
    );
    // TARGETARCH is only predefined in the global scope: an undeclared one is empty.
    assert_eq!(e.ok(&["run", "--rm", "heredoc", "cat", "/arch"]), "");
}

#[test]
fn add_of_an_http_url() {
    let e = engine();
    let served = e.file("served");
    write_tree(&served, &[("file.txt", "served content\n")]);
    let port = free_port();
    let mut server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
            "--directory",
        ])
        .arg(&served)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 http.server");
    wait_until("the HTTP server", Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[(
            "Containerfile",
            &format!("FROM busybox\nADD http://127.0.0.1:{port}/file.txt /dl/\n"),
        )],
    );
    let out = e.rpod(&["build", "-q", "-t", "url", ctx.to_str().unwrap()]);
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        e.ok(&["run", "--rm", "url", "cat", "/dl/file.txt"]),
        "served content"
    );
    assert_eq!(
        e.ok(&["run", "--rm", "url", "stat", "-c", "%a", "/dl/file.txt"]),
        "600"
    );
}

/// A failed build: exit code, one line naming the file and line, nothing tagged and
/// nothing left behind.
fn fails_cleanly(e: &Engine, containerfile: &str, extra: &[&str], code: i32, needles: &[&str]) {
    let ctx = e.file(&format!("ctx-{}", cache_name(containerfile)));
    write_tree(
        &ctx,
        &[("Containerfile", containerfile), ("present.txt", "x")],
    );
    let mut args = vec!["build", "-t", "should-not-exist"];
    args.extend_from_slice(extra);
    args.push(ctx.to_str().unwrap());
    let out = e.rpod(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{containerfile:?}: {}",
        describe(&out)
    );
    let error_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
    assert_eq!(error_lines.len(), 1, "{stderr}");
    for n in needles {
        assert!(
            stderr.contains(n),
            "{containerfile:?}: expected {n:?} in {stderr}"
        );
    }
    assert!(
        !e.exists("should-not-exist")
            && e.rpod(&["image", "exists", "should-not-exist"])
                .status
                .code()
                == Some(1)
    );
    assert!(e.all_ids().is_empty(), "containers left: {:?}", e.all_ids());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    let work_layers = std::fs::read_dir(e.root().join("storage/containers"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(
        work_layers, 0,
        "storage containers left by {containerfile:?}"
    );
}

fn cache_name(text: &str) -> String {
    format!(
        "{:x}",
        text.bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
    )
}

#[test]
fn errors_name_the_file_and_line_and_leave_nothing() {
    let e = engine();
    fails_cleanly(
        &e,
        "FROM busybox\n\nFOO bar\n",
        &[],
        125,
        &["Containerfile:3", "unknown instruction: FOO"],
    );
    fails_cleanly(
        &e,
        "FROM busybox\nCOPY --from=nostage /x /x\n",
        &[],
        125,
        &["Containerfile:2", "no stage or image found"],
    );
    fails_cleanly(
        &e,
        "FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n",
        &[],
        125,
        &["Containerfile:2", "cycle"],
    );
    fails_cleanly(
        &e,
        "FROM busybox\nCOPY missing.txt /x\n",
        &[],
        125,
        &["Containerfile:2", "missing.txt"],
    );
    fails_cleanly(
        &e,
        "FROM busybox\nRUN <<EOF\necho never ends\n",
        &[],
        125,
        &["Containerfile:2", "heredoc"],
    );
    fails_cleanly(
        &e,
        "FROM busybox\nCOPY ../outside /x\n",
        &[],
        125,
        &["Containerfile:2", "outside the build context"],
    );
    fails_cleanly(
        &e,
        "FROM busybox\nRUN echo x\n",
        &["--build-arg", "=x"],
        125,
        &["--build-arg"],
    );
    fails_cleanly(
        &e,
        "FROM busybox\nENV A=1\n",
        &["--target", "nope"],
        125,
        &["target stage"],
    );
    // A failing RUN exits with its code, as Podman's build does.
    fails_cleanly(
        &e,
        "FROM busybox\nRUN echo out; exit 3\n",
        &[],
        3,
        &["Containerfile:2", "exit status 3"],
    );
    fails_cleanly(
        &e,
        "FROM busybox\nRUN true\n",
        &["--memory", "10m"],
        125,
        &["--memory is not supported"],
    );
}

#[test]
fn failing_run_matches_podman_exit_code() {
    let b = pair();
    let ctx = b.e.file("ctx");
    write_tree(&ctx, &[("Containerfile", "FROM busybox\nRUN exit 7\n")]);
    let args = ["build", "-t", "x", ctx.to_str().unwrap()];
    let r = b.e.rpod(&args);
    let p = b.p.run(&args);
    assert_eq!(
        r.status.code(),
        p.status.code(),
        "rpod: {}\npodman: {}",
        describe(&r),
        describe(&p)
    );
}

#[test]
fn symlink_leading_out_of_the_context_is_refused() {
    let e = engine();
    let ctx = e.file("ctx");
    write_tree(&ctx, &[("Containerfile", "FROM busybox\nCOPY escape /x\n")]);
    std::os::unix::fs::symlink("/etc", ctx.join("escape")).unwrap();
    let out = e.rpod(&["build", ctx.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("outside the build context"),
        "{}",
        describe(&out)
    );
}

#[test]
fn multi_stage_target_builds_only_needed_stages() {
    let e = engine();
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[(
            "Containerfile",
            "FROM busybox AS unused\nRUN exit 1\nFROM busybox AS dep\nRUN echo dep > /dep\nFROM busybox AS final\nCOPY --from=dep /dep /dep\nFROM busybox AS after\nRUN exit 1\n",
        )],
    );
    let out = e.ok(&[
        "build",
        "--target",
        "final",
        "-t",
        "tgt",
        ctx.to_str().unwrap(),
    ]);
    assert!(!out.contains("[1/4]"), "the unused stage is skipped: {out}");
    assert!(
        !out.contains("[4/4]"),
        "stages after the target are skipped: {out}"
    );
    assert_eq!(e.ok(&["run", "--rm", "tgt", "cat", "/dep"]), "dep");
}

/// `podman build --help`'s flag names: `--name` with whether it takes a value.
fn podman_build_flags() -> Vec<(String, bool)> {
    let out = Command::new("podman")
        .args(["build", "--help"])
        .output()
        .expect("podman");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut flags = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let t = match t.strip_prefix('-') {
            Some(rest) if rest.len() > 2 && rest.as_bytes()[1] == b',' => rest[2..].trim_start(),
            _ => t,
        };
        let Some(rest) = t.strip_prefix("--") else {
            continue;
        };
        let mut parts = rest.splitn(2, ' ');
        let name = parts.next().unwrap_or_default().to_string();
        let after = parts.next().unwrap_or_default();
        // A type word follows the name directly (one space); a description after padding.
        let takes_value = !after.starts_with(' ') && !after.is_empty();
        flags.push((name, takes_value));
    }
    flags
}

#[test]
fn every_podman_build_flag_parses() {
    let e = Engine::new();
    let flags = podman_build_flags();
    assert!(
        flags.len() > 80,
        "read {} flags from podman build --help",
        flags.len()
    );
    let missing_ctx = e.file("no-such-context");
    for (name, takes_value) in &flags {
        let flag = if *takes_value {
            format!("--{name}=x")
        } else {
            format!("--{name}")
        };
        let out = e.rpod(&["build", &flag, missing_ctx.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("unexpected argument") && !stderr.contains("unrecognized"),
            "rpod build {flag}: {stderr}"
        );
        assert_eq!(
            out.status.code(),
            Some(125),
            "rpod build {flag}: {}",
            describe(&out)
        );
        assert_eq!(
            stderr.lines().count(),
            1,
            "rpod build {flag}: one line: {stderr}"
        );
    }
}

#[test]
fn parity_workdir_is_created_by_the_next_step_as_the_user() {
    let b = pair();
    let ctx = b.e.file("ctx4");
    write_tree(
        &ctx,
        &[
            ("a.txt", "a\n"),
            (
                "Containerfile",
                "FROM busybox\nUSER nobody\nWORKDIR /w/x\nRUN touch made-here\nUSER root\nWORKDIR /r/s\nCOPY --chown=nobody a.txt /c/\nWORKDIR relative/dir\n",
            ),
        ],
    );
    b.build_both(&ctx, "parity4", &[]);
    b.compare("parity4");
}

#[test]
fn docker_cli_and_docker_py_build_through_the_api() {
    if !api_support::have("docker") {
        panic!("a test client is missing (no docker CLI): .ci/run installs it");
    }
    let e = engine();
    let svc = api_support::Service::start(&e);
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[
            ("f", "file\n"),
            (
                "Dockerfile",
                "FROM busybox\nARG X=d\nRUN echo $X > /x\nCOPY f /f\nHEALTHCHECK CMD true\n",
            ),
        ],
    );
    let mut cmd = svc.docker_cmd(
        &e,
        &[
            "build",
            "-t",
            "apibuilt",
            "--build-arg",
            "X=val",
            ctx.to_str().unwrap(),
        ],
    );
    cmd.env("DOCKER_BUILDKIT", "0");
    let out = run_with_timeout(cmd, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Successfully built") && stdout.contains("STEP 2/5"),
        "{stdout}"
    );
    assert_eq!(
        e.ok(&["run", "--rm", "apibuilt", "cat", "/x", "/f"]),
        "val\nfile"
    );
    let hc = e.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Healthcheck}}",
        "apibuilt",
    ]);
    assert!(
        hc.contains("CMD-SHELL"),
        "Docker API builds keep HEALTHCHECK: {hc}"
    );
    // A failing step: the CLI fails with Docker's message and the step's exit
    // code; --force-rm (Docker's `forcerm`) removes the failed step's
    // container, which Docker keeps by default.
    let bad = e.file("bad");
    write_tree(&bad, &[("Dockerfile", "FROM busybox\nRUN exit 4\n")]);
    let mut cmd = svc.docker_cmd(&e, &["build", "--force-rm", bad.to_str().unwrap()]);
    cmd.env("DOCKER_BUILDKIT", "0");
    let out = run_with_timeout(cmd, None, COMMAND_TIMEOUT);
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("The command '/bin/sh -c exit 4' returned a non-zero code: 4"),
        "{}",
        describe(&out)
    );
    assert!(e.all_ids().is_empty(), "no RUN container is left");
    if !api_support::have_python_module("docker") {
        return;
    }
    let script = r#"
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
img, logs = c.images.build(path=sys.argv[2], tag="pybuilt", buildargs={"X": "py"})
print(img.id)
"#;
    let out = run_with_timeout(
        {
            let mut c = Command::new("python3");
            c.args(["-c", script, &svc.host(), ctx.to_str().unwrap()]);
            c
        },
        None,
        COMMAND_TIMEOUT,
    );
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .starts_with("sha256:"),
        "{}",
        describe(&out)
    );
    assert_eq!(e.ok(&["run", "--rm", "pybuilt", "cat", "/x"]), "py");
}

/// The lines a classic-builder `docker build` printed that are only a RUN step's output.
fn lines_equal(text: &str, want: &str) -> usize {
    text.lines().filter(|l| l.trim() == want).count()
}

#[test]
fn docker_cachefrom_takes_the_steps_of_a_loaded_image() {
    // Built on one machine (engine a), loaded on another (engine b, no step cache).
    let a = engine();
    let ctx = a.file("ctx");
    write_tree(
        &ctx,
        &[
            ("f.txt", "one\n"),
            (
                "Dockerfile",
                "FROM busybox\nENV A=1\nCOPY f.txt /f.txt\nRUN echo $((6*7)) && echo built > /built\nCMD [\"cat\", \"/built\"]\n",
            ),
        ],
    );
    let c = ctx.to_str().unwrap();
    a.ok(&["build", "-q", "-t", "localhost/app:1", c]);
    let tar = a.file("app.tar");
    a.ok(&[
        "save",
        "-m",
        "-o",
        tar.to_str().unwrap(),
        "busybox",
        "localhost/app:1",
    ]);
    let b = Engine::new();
    b.ok(&["load", "-q", "-i", tar.to_str().unwrap()]);
    let svc = api_support::Service::start(&b);
    let docker_build = |extra: &[&str], tag: &str| {
        let mut args = vec!["build", "-t", tag];
        args.extend_from_slice(extra);
        args.push(c);
        let mut cmd = svc.docker_cmd(&b, &args);
        cmd.env("DOCKER_BUILDKIT", "0");
        let out = run_with_timeout(cmd, None, COMMAND_TIMEOUT);
        assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let layers = |e: &Engine, name: &str| {
        e.ok(&["image", "inspect", "--format", "{{.RootFS.Layers}}", name])
    };
    // Every step comes from the loaded image: nothing runs, the layers are its layers.
    let out = docker_build(&["--cache-from", "localhost/app:1"], "localhost/app:2");
    assert_eq!(out.matches("Using cache").count(), 4, "{out}");
    assert_eq!(lines_equal(&out, "42"), 0, "the RUN step ran: {out}");
    assert_eq!(layers(&b, "localhost/app:2"), layers(&a, "localhost/app:1"));
    assert_eq!(b.ok(&["run", "--rm", "localhost/app:2"]), "built");
    // A changed file: ENV still comes from the image, COPY and what follows are built.
    std::fs::write(ctx.join("f.txt"), "two\n").unwrap();
    let out = docker_build(&["--cache-from", "localhost/app:1"], "localhost/app:3");
    assert_eq!(out.matches("Using cache").count(), 1, "{out}");
    assert_eq!(lines_equal(&out, "42"), 1, "{out}");
    // A name that matches no image is passed over, as Docker does.
    std::fs::write(ctx.join("f.txt"), "three\n").unwrap();
    let out = docker_build(&["--cache-from", "localhost/none:1"], "localhost/app:4");
    assert_eq!(lines_equal(&out, "42"), 1, "{out}");
}

#[test]
fn libpod_and_docker_build_endpoints_stream_json() {
    let e = engine();
    let svc = api_support::Service::start(&e);
    let tar = tar_with_files(&[(
        "Containerfile",
        &b"FROM busybox\nARG V\nRUN echo $V > /v\nLABEL k=v\n"[..],
    )]);
    let (status, _, body) = api_support::http(
        &svc.socket,
        "POST",
        "/v4.0.0/libpod/build?t=viaapi&buildargs=%7B%22V%22%3A%22x%22%7D&dockerfile=Containerfile",
        "application/x-tar",
        Some(&tar),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&body)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(
        lines.iter().any(|l| l["stream"]
            .as_str()
            .is_some_and(|s| s.starts_with("STEP 1/4"))),
        "{lines:?}"
    );
    let id = lines
        .iter()
        .find_map(|l| l["aux"]["ID"].as_str())
        .expect("an aux ID line");
    let inspected = e.ok(&["image", "inspect", "--format", "{{.Id}}", "viaapi"]);
    assert_eq!(id, format!("sha256:{inspected}"));
    assert_eq!(e.ok(&["run", "--rm", "viaapi", "cat", "/v"]), "x");
    // A bad Containerfile: an errorDetail line naming the line.
    let bad = tar_with_files(&[("Dockerfile", &b"FROM busybox\nNOPE x\n"[..])]);
    let (status, _, body) = api_support::http(
        &svc.socket,
        "POST",
        "/build?t=bad",
        "application/x-tar",
        Some(&bad),
    );
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&body);
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let msg = last["errorDetail"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("Dockerfile:2") && msg.contains("unknown instruction"),
        "{text}"
    );
    assert_eq!(e.rpod(&["image", "exists", "bad"]).status.code(), Some(1));
}
