//! docker-py 7.1's public client methods, one by one, against
//! `rpod system service` (`tests/dockerpy/methods.py`; its table is
//! `docs/dockerpy.md`). The sweep fails when a check fails, when a check it
//! lists as a known defect passes, or when a public docker-py method is
//! covered by no check.

mod api_support;
mod common;

use std::process::Command;

use api_support::*;
use common::*;

fn methods_py() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dockerpy/methods.py")
}

#[test]
fn every_docker_py_method_gets_what_the_api_reference_says() {
    assert!(
        have_python_module("docker"),
        "a test client is missing (no docker-py): .ci/run installs it"
    );
    // busybox as `docker import --change 'CMD ["sh"]'` makes it.
    let e = Engine::new();
    let tar = e.busybox_tar();
    e.ok(&[
        "import",
        "--change",
        "CMD [\"sh\"]",
        tar.to_str().unwrap(),
        "busybox",
    ]);
    let svc = Service::start(&e);
    let reg = Registry::start(None);
    let mut cmd = Command::new("python3");
    cmd.arg(methods_py()).arg(svc.host()).arg(reg.host());
    let out = run_with_timeout(cmd, None, std::time::Duration::from_secs(900));
    assert!(
        out.status.success(),
        "{}\nservice log (end):\n{}",
        describe(&out),
        svc.log()
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// docs/dockerpy.md is the sweep's own table (regenerate it with
/// `python3 crates/rpod/tests/dockerpy/methods.py --table`).
#[test]
fn the_docker_py_table_in_the_docs_is_the_sweeps() {
    let out = Command::new("python3")
        .arg(methods_py())
        .arg("--table")
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", describe(&out));
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/dockerpy.md"),
    )
    .expect("docs/dockerpy.md");
    assert!(
        doc.contains(table.trim()),
        "docs/dockerpy.md does not hold the sweep's table; regenerate it:\n{table}"
    );
}
