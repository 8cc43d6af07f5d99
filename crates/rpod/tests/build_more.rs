//! More of `rpod build` against `podman build`: RUN mounts, secrets, hosts and volumes;
//! `--squash`, `--squash-all` and `--layers=false`; the formats; intermediate images in
//! listings; `--rm`/`--force-rm`; foreign platforms; docker-compose's `build:`.

mod api_support;
mod build_support;
mod common;

use std::process::Command;

use build_support::*;
use common::*;

fn count(text: &str) -> usize {
    text.lines().filter(|l| !l.trim().is_empty()).count()
}

#[test]
fn run_mounts_secrets_hosts_and_volumes_match_podman() {
    let b = pair();
    let ctx = b.e.file("ctx");
    write_tree(
        &ctx,
        &[
            ("data.txt", "from the context\n"),
            (
                "Containerfile",
                "FROM busybox\n\
                 RUN --mount=type=bind,source=data.txt,target=/mnt/d cat /mnt/d > /bound\n\
                 RUN --mount=type=tmpfs,target=/tmpx touch /tmpx/a && grep -c ' /tmpx tmpfs' /proc/mounts > /tmpfs-seen\n\
                 RUN --mount=type=secret,id=mysec cat /run/secrets/mysec > /secret-copy\n\
                 RUN grep -c 'foo.example' /etc/hosts > /hosts-count && cat /v/v.txt > /vcopy\n",
            ),
        ],
    );
    let secret = b.e.file("secret.txt");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let vol = b.e.file("vol");
    write_tree(&vol, &[("v.txt", "volume content\n")]);
    let secret_flag = format!("id=mysec,src={}", secret.display());
    let vol_flag = format!("{}:/v", vol.display());
    b.build_both(
        &ctx,
        "mounts",
        &[
            "--secret",
            &secret_flag,
            "--add-host",
            "foo.example:10.1.2.3",
            "-v",
            &vol_flag,
        ],
    );
    // The files the steps wrote, and no mount point left that the steps had to create
    // (/mnt/d, /tmpx, /run/secrets/mysec), as with Podman. (Podman's cache mounts live in
    // a host-wide directory, so they are tested on rpod alone.)
    b.compare("mounts");
    assert_eq!(
        b.e.ok(&[
            "run",
            "--rm",
            "mounts",
            "cat",
            "/bound",
            "/secret-copy",
            "/vcopy"
        ]),
        "from the context\ns3cret\nvolume content"
    );
    assert_eq!(
        b.e.ok(&[
            "run",
            "--rm",
            "mounts",
            "cat",
            "/hosts-count",
            "/tmpfs-seen"
        ]),
        "1\n1"
    );
    // The secret is not in any layer.
    let tree = b.e.ok(&tree_args("mounts"));
    assert!(!tree.contains("mysec"), "{tree}");
    // A missing secret: one line naming the file and line.
    let out = b.e.rpod(&["build", "--no-cache", ctx.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(125), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Containerfile:4") && err.contains("mysec"),
        "{err}"
    );
    assert!(b.e.all_ids().is_empty(), "{:?}", b.e.all_ids());
    assert!(
        b.e.leftover_mounts().is_empty(),
        "{:?}",
        b.e.leftover_mounts()
    );
}

#[test]
fn run_network_no_hosts_and_cache_mounts() {
    let e = engine();
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[(
            "Containerfile",
            "FROM busybox\n\
             RUN ls /sys/class/net | wc -l > /default-links\n\
             RUN --network=none ls /sys/class/net | wc -l > /none-links\n\
             RUN if [ -e /etc/hosts ]; then echo hosts; else echo nohosts; fi > /hosts\n\
             RUN --mount=type=cache,target=/cache echo c >> /cache/count && wc -l < /cache/count > /cachecount\n",
        )],
    );
    let c = ctx.to_str().unwrap();
    e.ok(&["build", "-q", "-t", "net", c]);
    // The default network is a bridge (lo and eth0); --network=none leaves lo alone.
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "net",
            "cat",
            "/default-links",
            "/none-links",
            "/hosts"
        ]),
        "2\n1\nhosts"
    );
    // --network for every RUN step, --no-hosts: no /etc/hosts is provided. (Like Podman's,
    // the step cache does not look at these flags.)
    e.ok(&[
        "build",
        "-q",
        "--no-cache",
        "--network",
        "none",
        "--no-hosts",
        "-t",
        "net2",
        c,
    ]);
    assert_eq!(
        e.ok(&[
            "run",
            "--rm",
            "net2",
            "cat",
            "/default-links",
            "/none-links",
            "/hosts"
        ]),
        "1\n1\nnohosts"
    );
    // The cache mount kept its content from the first build (no mount point is left).
    assert_eq!(e.ok(&["run", "--rm", "net", "cat", "/cachecount"]), "1");
    assert_eq!(e.ok(&["run", "--rm", "net2", "cat", "/cachecount"]), "2");
    let (code, _) = e.fails(&["run", "--rm", "net2", "ls", "/cache"]);
    assert_eq!(code, 1);
    let (code, err) = e.fails(&["build", "--no-hosts", "--add-host", "a:1.2.3.4", c]);
    assert_eq!(code, 125);
    assert!(err.contains("--no-hosts and --add-host conflict"), "{err}");
}

#[test]
fn squash_squash_all_and_layers_false_match_podman() {
    let b = pair();
    let ctx = b.e.file("ctx");
    write_tree(
        &ctx,
        &[
            ("a", "a\n"),
            (
                "Containerfile",
                "FROM busybox\nCOPY a /a\nRUN echo b > /b && rm /bin/vi && rm -r /var/tmp\nENV X=1\nRUN echo c > /c\n",
            ),
        ],
    );
    for (name, flag) in [
        ("nolayers", "--layers=false"),
        ("squashed", "--squash"),
        ("squashall", "--squash-all"),
    ] {
        let before_r = count(&b.e.ok(&["images", "-a", "-q"]));
        let before_p = count(&b.p.ok(&["images", "-a", "-q"]));
        b.build_both(&ctx, name, &[flag]);
        // One new image only: no step images are kept.
        assert_eq!(
            count(&b.e.ok(&["images", "-a", "-q"])),
            before_r + 1,
            "{flag}"
        );
        assert_eq!(
            count(&b.p.ok(&["images", "-a", "-q"])),
            before_p + 1,
            "{flag}"
        );
        // Podman 4.3.1 gives the root directory of a --squash-all image mode 0555.
        let skip: &[&str] = if flag == "--squash-all" { &["."] } else { &[] };
        b.compare_but(name, skip);
        let (r, p) = b.shape(name);
        assert_eq!(r, p, "{flag}: (layers, history) rpod vs podman");
    }
    // Deletions made by the steps are applied in the squashed layer.
    let (code, _) = b.e.fails(&["run", "--rm", "squashed", "ls", "/bin/vi"]);
    assert_eq!(code, 1);
    assert!(b.e.all_ids().is_empty());
    assert!(
        b.e.leftover_mounts().is_empty(),
        "{:?}",
        b.e.leftover_mounts()
    );
}

#[test]
fn formats_keep_or_drop_healthcheck_shell_and_onbuild_as_podman() {
    let b = pair();
    let base = b.e.file("base");
    write_tree(
        &base,
        &[(
            "Containerfile",
            "FROM busybox\nHEALTHCHECK --interval=5s CMD true\nSHELL [\"/bin/sh\", \"-xc\"]\nONBUILD RUN touch /onbuilt\n",
        )],
    );
    let child = b.e.file("child");
    write_tree(
        &child,
        &[(
            "Containerfile",
            "ARG BASE\nFROM $BASE\nRUN if [ -e /onbuilt ]; then echo yes; else echo no; fi > /triggered\n",
        )],
    );
    for format in ["oci", "docker"] {
        let base_name = format!("base-{format}");
        b.build_both(&base, &base_name, &["--format", format]);
        let rh = inspect_json(&b.e.ok(&["image", "inspect", &base_name]))["Healthcheck"].clone();
        let ph = inspect_json(&b.p.ok(&["image", "inspect", &base_name]))["Healthcheck"].clone();
        assert_eq!(rh, ph, "--format {format}: Healthcheck");
        assert_eq!(rh.is_null(), format == "oci", "{rh}");
        let child_name = format!("child-{format}");
        let arg = format!("BASE={base_name}");
        for (label, out) in [
            (
                "rpod",
                b.e.rpod(&[
                    "build",
                    "--format",
                    format,
                    "--build-arg",
                    &arg,
                    "-t",
                    &child_name,
                    child.to_str().unwrap(),
                ]),
            ),
            (
                "podman",
                b.p.run(&[
                    "build",
                    "--format",
                    format,
                    "--build-arg",
                    &arg,
                    "-t",
                    &child_name,
                    child.to_str().unwrap(),
                ]),
            ),
        ] {
            assert!(out.status.success(), "{label}: {}", describe(&out));
            // SHELL ["/bin/sh", "-xc"] is inherited only by Docker's format: the trace.
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                all.contains("+ '[' -e /onbuilt"),
                format == "docker",
                "{label} --format {format}: {all}"
            );
        }
        let rt = b.e.ok(&["run", "--rm", &child_name, "cat", "/triggered"]);
        let pt = b.p.ok(&["run", "--rm", &child_name, "cat", "/triggered"]);
        assert_eq!(rt, pt, "--format {format}: ONBUILD");
        assert_eq!(rt, if format == "docker" { "yes" } else { "no" });
    }
    // --annotation goes into the (OCI) manifest.
    b.e.ok(&[
        "build",
        "-q",
        "--annotation",
        "org.example.a=1",
        "-t",
        "annotated",
        base.to_str().unwrap(),
    ]);
    let ann = inspect_json(&b.e.ok(&["image", "inspect", "annotated"]))["Annotations"].clone();
    assert_eq!(ann["org.example.a"], "1", "{ann}");
}

#[test]
fn intermediate_images_are_hidden_as_podman_hides_them() {
    let b = pair();
    let ctx = b.e.file("ctx");
    write_tree(
        &ctx,
        &[
            ("f", "f\n"),
            (
                "Containerfile",
                "FROM busybox AS one\nRUN echo 1 > /one\nENV A=1\nFROM busybox\nENV B=2\nCOPY --from=one /one /one\nCOPY f /f\nLABEL l=1\nRUN echo x > /x\nCMD [\"sh\"]\n",
            ),
        ],
    );
    b.build_both(&ctx, "listed", &[]);
    let names = |out: String| -> Vec<String> {
        let mut v: Vec<String> = out.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    let fmt = "{{.Repository}}:{{.Tag}}";
    let r = names(b.e.ok(&["images", "--format", fmt]));
    let p = names(b.p.ok(&["images", "--format", fmt]));
    assert_eq!(
        r,
        p,
        "images: rpod (left) vs podman (right)\n{}\n{}",
        b.e.ok(&["images", "-a", "--no-trunc"]),
        b.p.ok(&["images", "-a", "--no-trunc"])
    );
    let ra = count(&b.e.ok(&["images", "-a", "-q"]));
    let pa = count(&b.p.ok(&["images", "-a", "-q"]));
    assert_eq!(ra, pa, "images -a");
    // The filters agree: intermediate images are neither dangling nor shown without -a.
    let rd = count(&b.e.ok(&["images", "-a", "-q", "--filter", "dangling=true"]));
    let pd = count(&b.p.ok(&["images", "-a", "-q", "--filter", "dangling=true"]));
    assert_eq!(rd, pd, "dangling");
    let ri = count(&b.e.ok(&["images", "-a", "-q", "--filter", "intermediate=true"]));
    let pi = count(&b.p.ok(&["images", "-a", "-q", "--filter", "intermediate=true"]));
    assert_eq!(ri, pi, "intermediate");
}

#[test]
fn rm_and_force_rm_decide_what_a_build_leaves() {
    let e = engine();
    let ok = e.file("ok");
    write_tree(
        &ok,
        &[("Containerfile", "FROM busybox\nRUN echo ok > /ok\n")],
    );
    let bad = e.file("bad");
    write_tree(
        &bad,
        &[("Containerfile", "FROM busybox\nRUN echo fine\nRUN exit 5\n")],
    );
    // Defaults: nothing is left, after a failure too.
    e.ok(&["build", "-q", "--no-cache", ok.to_str().unwrap()]);
    let (code, _) = e.fails(&["build", "-t", "never", bad.to_str().unwrap()]);
    assert_eq!(code, 5);
    assert!(e.all_ids().is_empty(), "{:?}", e.all_ids());
    assert_eq!(e.rpod(&["image", "exists", "never"]).status.code(), Some(1));
    // --force-rm=false keeps the failed step's container.
    let (code, _) = e.fails(&["build", "--force-rm=false", bad.to_str().unwrap()]);
    assert_eq!(code, 5);
    assert_eq!(e.all_ids().len(), 1, "the failed step's container is kept");
    e.ok(&["rm", "-a", "-f"]);
    // --rm=false keeps the containers of successful steps.
    e.ok(&[
        "build",
        "-q",
        "--no-cache",
        "--rm=false",
        ok.to_str().unwrap(),
    ]);
    assert_eq!(e.all_ids().len(), 1);
    e.ok(&["rm", "-a", "-f"]);
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn a_foreign_platform_fails_with_the_reason() {
    let e = engine();
    let ctx = e.file("ctx");
    let foreign = format!("linux/{}", unrunnable_arch());
    let foreign = foreign.as_str();
    write_tree(&ctx, &[("Containerfile", "FROM busybox\nRUN true\n")]);
    let (code, err) = e.fails(&["build", "--platform", foreign, ctx.to_str().unwrap()]);
    assert_eq!(code, 125);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(foreign) && err.contains("emulator"), "{err}");
    write_tree(
        &ctx,
        &[(
            "Containerfile",
            &format!("FROM busybox\nFROM --platform={foreign} busybox\nRUN true\n"),
        )],
    );
    let (code, err) = e.fails(&["build", ctx.to_str().unwrap()]);
    assert_eq!(code, 125);
    assert!(
        err.contains("Containerfile:2") && err.contains("emulator"),
        "{err}"
    );
    // The host's own platform builds.
    write_tree(&ctx, &[("Containerfile", "FROM busybox\nRUN true\n")]);
    let host = format!(
        "linux/{}",
        if std::env::consts::ARCH == "aarch64" {
            "arm64"
        } else {
            "amd64"
        }
    );
    e.ok(&["build", "-q", "--platform", &host, ctx.to_str().unwrap()]);
    assert!(e.all_ids().is_empty());
}

#[test]
fn a_foreign_platform_builds_and_runs_with_a_registered_emulator() {
    let _qemu = Emulator::aarch64();
    let b = pair();
    let ctx = b.e.file("ctx");
    write_tree(
        &ctx,
        &[(
            "Containerfile",
            "FROM scratch\nARG TARGETARCH\nARG TARGETPLATFORM\n\
             LABEL arch=$TARGETARCH platform=$TARGETPLATFORM\n\
             COPY hello /hello\nRUN [\"/hello\"]\nCMD [\"/hello\"]\n",
        )],
    );
    let prog = ctx.join("hello");
    std::fs::write(&prog, aarch64_program("hello from arm64\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    let name = "localhost/foreign";
    let c = ctx.to_str().unwrap();
    let args = ["build", "--platform", "linux/arm64", "-t", name, c];
    let out = b.e.ok(&args);
    // The RUN step ran the aarch64 program (through the emulator).
    assert!(out.contains("hello from arm64"), "{out}");
    let pout = b.p.ok(&args);
    assert!(pout.contains("hello from arm64"), "{pout}");
    let fmt = "{{.Os}}/{{.Architecture}} {{.Labels.arch}} {{.Labels.platform}}";
    let want = "linux/arm64 arm64 linux/arm64";
    assert_eq!(
        b.e.ok(&["image", "inspect", "--format", fmt, name]).trim(),
        want
    );
    assert_eq!(
        b.p.ok(&["image", "inspect", "--format", fmt, name]).trim(),
        want
    );
    // The image runs as well, on both engines.
    let run = ["run", "--rm", "--network", "none", name];
    assert_eq!(b.e.ok(&run).trim(), "hello from arm64");
    assert_eq!(b.p.ok(&run).trim(), "hello from arm64");
    // A FROM of a local image for another platform names both.
    write_tree(&ctx, &[("Containerfile", "FROM busybox\nRUN true\n")]);
    let (code, err) =
        b.e.fails(&["build", "--pull=never", "--platform", "linux/arm64", c]);
    assert_eq!(code, 125);
    assert!(
        err.contains("Containerfile:1") && err.contains("not for linux/arm64"),
        "{err}"
    );
}

#[test]
fn docker_compose_build_builds_the_services_images() {
    if !api_support::have("docker-compose") {
        panic!("a test client is missing (no docker-compose): .ci/run installs it");
    }
    let e = engine();
    let svc = api_support::Service::start(&e);
    let project = api_support::unique("cbuild");
    let dir = e.file("project");
    write_tree(
        &dir,
        &[
            (
                "docker-compose.yml",
                "version: \"3.7\"\nservices:\n  app:\n    build:\n      context: ./app\n      args:\n        WHAT: composed\n    image: composebuilt\n  other:\n    build: ./other\n",
            ),
            ("app/Dockerfile", "FROM busybox\nARG WHAT=none\nCOPY hello.txt /hello.txt\nRUN echo $WHAT > /what\nCMD [\"cat\", \"/hello.txt\"]\n"),
            ("app/hello.txt", "hello from compose\n"),
            ("other/Dockerfile", "FROM busybox\nLABEL svc=other\n"),
        ],
    );
    let mut c = Command::new("docker-compose");
    c.arg("-p")
        .arg(&project)
        .arg("build")
        .current_dir(&dir)
        .env("DOCKER_HOST", svc.host())
        .env("DOCKER_CONFIG", e.file("docker-config"))
        .env("COMPOSE_DOCKER_CLI_BUILD", "0")
        .env("DOCKER_BUILDKIT", "0")
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT");
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    assert!(out.status.success(), "{}\n{}", describe(&out), svc.log());
    assert_eq!(e.ok(&["run", "--rm", "composebuilt"]), "hello from compose");
    assert_eq!(
        e.ok(&["run", "--rm", "composebuilt", "cat", "/what"]),
        "composed"
    );
    let label = e.ok(&[
        "image",
        "inspect",
        "--format",
        "{{index .Labels \"svc\"}}",
        &format!("{project}_other"),
    ]);
    assert_eq!(label, "other");
    assert!(e.all_ids().is_empty());
}

#[test]
fn jobs_build_independent_stages_at_the_same_time() {
    let e = engine();
    let ctx = e.file("ctx");
    let shared = e.file("shared");
    std::fs::create_dir_all(&shared).unwrap();
    // Each of the two stages waits for the other's mark: they only both finish when they
    // run at the same time.
    let wait_for = |me: &str, other: &str| {
        format!(
            "RUN touch /shared/{me} && i=0; while [ ! -e /shared/{other} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -e /shared/{other} ] && echo {me} > /{me}"
        )
    };
    let file = format!(
        "FROM busybox AS a\n{}\nFROM busybox AS b\n{}\nFROM busybox AS unused\nRUN exit 1\nFROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n",
        wait_for("a", "b"),
        wait_for("b", "a")
    );
    write_tree(&ctx, &[("Containerfile", &file)]);
    let vol = format!("{}:/shared", shared.display());
    let c = ctx.to_str().unwrap();
    let out = e.ok(&["build", "--jobs", "2", "-v", &vol, "-t", "parallel", c]);
    // Each stage's output is printed whole.
    let a = out.find("[1/4] STEP 2/2").expect("stage a's step");
    let b = out.find("[2/4] STEP 1/2").expect("stage b's start");
    assert!(a < b, "{out}");
    assert!(!out.contains("[3/4]"), "the unused stage is skipped: {out}");
    assert_eq!(
        e.ok(&["run", "--rm", "parallel", "cat", "/a", "/b"]),
        "a\nb"
    );
    // --jobs=0: as many as are ready; a failing stage fails the build, nothing left.
    let bad = e.file("bad");
    write_tree(
        &bad,
        &[(
            "Containerfile",
            "FROM busybox AS a\nRUN echo fine\nFROM busybox AS b\nRUN exit 6\nFROM busybox\nCOPY --from=a /etc/passwd /x\nCOPY --from=b /etc/passwd /y\n",
        )],
    );
    let (code, err) = e.fails(&["build", "--jobs=0", "-t", "never", bad.to_str().unwrap()]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("Containerfile:4"), "{err}");
    assert_eq!(e.rpod(&["image", "exists", "never"]).status.code(), Some(1));
    assert!(e.all_ids().is_empty(), "{:?}", e.all_ids());
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
}

#[test]
fn pull_policies_for_the_base_image() {
    let reg = Registry::start(None);
    let e = engine();
    let dest = format!("{}/test/base:1", reg.host());
    e.ok(&["push", "-q", "--tls-verify=false", "busybox", &dest]);
    let f = Engine::new();
    let ctx = f.file("ctx");
    write_tree(
        &ctx,
        &[(
            "Containerfile",
            &format!("FROM {dest}\nRUN cat /marker > /seen 2>/dev/null || echo old > /seen\n"),
        )],
    );
    let c = ctx.to_str().unwrap();
    // never: the base is not there.
    let (code, err) = f.fails(&["build", "--pull=never", "-t", "p", c]);
    assert_eq!(code, 125);
    assert!(
        err.contains("Containerfile:1") && err.lines().count() == 1,
        "{err}"
    );
    // missing: pulled once.
    f.ok(&[
        "build",
        "-q",
        "--pull=missing",
        "--tls-verify=false",
        "-t",
        "p",
        c,
    ]);
    assert_eq!(f.ok(&["run", "--rm", "p", "cat", "/seen"]), "old");
    // A new image under the same name in the registry.
    let newer = e.file("newer");
    write_tree(
        &newer,
        &[("Containerfile", "FROM busybox\nRUN echo new > /marker\n")],
    );
    e.ok(&["build", "-q", "-t", "newbase", newer.to_str().unwrap()]);
    e.ok(&["push", "-q", "--tls-verify=false", "newbase", &dest]);
    // missing and never keep the local base; newer and always pull the new one.
    f.ok(&["build", "-q", "--pull=never", "-t", "p", c]);
    assert_eq!(f.ok(&["run", "--rm", "p", "cat", "/seen"]), "old");
    f.ok(&[
        "build",
        "-q",
        "--pull=newer",
        "--tls-verify=false",
        "-t",
        "p",
        c,
    ]);
    assert_eq!(f.ok(&["run", "--rm", "p", "cat", "/seen"]), "new");
    f.ok(&[
        "build",
        "-q",
        "--pull=always",
        "--tls-verify=false",
        "-t",
        "p2",
        c,
    ]);
    assert_eq!(f.ok(&["run", "--rm", "p2", "cat", "/seen"]), "new");
    assert!(f.all_ids().is_empty());
}

#[test]
fn a_pending_workdir_does_not_break_the_cache() {
    let e = engine();
    let ctx = e.file("ctx");
    write_tree(
        &ctx,
        &[
            ("a", "a\n"),
            ("b", "b\n"),
            (
                "Containerfile",
                "FROM busybox\nWORKDIR /w\nCOPY a ./\nCOPY b ./\nRUN cat a b > ab\n",
            ),
        ],
    );
    let c = ctx.to_str().unwrap();
    let first = e.ok(&["build", "-t", "wd", c]);
    let id = first.lines().last().unwrap().to_string();
    let second = e.ok(&["build", "-t", "wd", c]);
    assert_eq!(second.matches("--> Using cache").count(), 4, "{second}");
    assert_eq!(second.lines().last().unwrap(), id);
    // One changed file: the steps from its COPY on run again.
    std::fs::write(ctx.join("b"), "B\n").unwrap();
    let third = e.ok(&["build", "-t", "wd", c]);
    assert_eq!(third.matches("--> Using cache").count(), 2, "{third}");
    assert_eq!(e.ok(&["run", "--rm", "wd", "cat", "/w/ab"]), "a\nB");
}
