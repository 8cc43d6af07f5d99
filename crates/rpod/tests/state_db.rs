//! The state database refuses what it cannot use: a newer schema is never
//! written, and a corrupt file gives an error naming the file and
//! `system reset` (which then works), never a panic.

mod common;

use std::process::Command;

use common::*;

fn sqlite(db: &std::path::Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("sqlite3");
    assert!(out.status.success(), "sqlite3 {sql}: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn sha(path: &std::path::Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap_or_default())
}

fn not_a_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_unchanged() {
    let e = Engine::with_image();
    e.ok(&["create", "--name", "c", "busybox", "true"]);
    let db = e.root().join("rpod.db");
    // Checkpointed into the main file, so its bytes are the whole state.
    sqlite(&db, "PRAGMA wal_checkpoint(TRUNCATE);");
    let version: usize = sqlite(&db, "PRAGMA user_version;").parse().unwrap();
    sqlite(&db, &format!("PRAGMA user_version = {};", version + 1));
    sqlite(&db, "PRAGMA wal_checkpoint(TRUNCATE);");
    let before = sha(&db);
    let wal = std::path::PathBuf::from(format!("{}-wal", db.display()));
    let wal_before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    for args in [
        &["ps", "-a"][..],
        &["rm", "-f", "c"][..],
        &["run", "--rm", "busybox", "true"][..],
        &["system", "prune", "-f"][..],
    ] {
        let (code, stderr) = e.fails(args);
        assert_eq!(code, 125, "{args:?}: {stderr}");
        assert!(
            stderr.contains(&db.display().to_string())
                && stderr.contains(&format!("schema version {}", version + 1))
                && stderr.contains("newer than this rpod understands")
                && stderr.contains("upgrade rpod"),
            "{args:?}: {stderr}"
        );
        not_a_panic(&stderr);
    }
    assert_eq!(sha(&db), before, "the newer database was written");
    assert_eq!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0),
        wal_before,
        "the newer database's WAL was written"
    );
    // Back at this build's version, everything is still there.
    sqlite(&db, &format!("PRAGMA user_version = {version};"));
    assert_eq!(e.ok(&["ps", "-a", "--format", "{{.Names}}"]), "c");
    assert_eq!(sqlite(&db, "PRAGMA integrity_check;"), "ok");
}

#[test]
fn a_truncated_database_names_the_file_and_system_reset() {
    let e = Engine::with_image();
    for i in 0..20 {
        e.ok(&["create", "--name", &format!("c{i}"), "busybox", "true"]);
    }
    e.sleeper("live");
    let pid: i32 = e.inspect_fmt("live", "{{.State.Pid}}").parse().unwrap();
    let db = e.root().join("rpod.db");
    sqlite(&db, "PRAGMA wal_checkpoint(TRUNCATE);");
    let len = std::fs::metadata(&db).unwrap().len();
    assert!(len > 8192, "database of {len} bytes");
    // Cut in the middle of its pages, the WAL gone with it.
    let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    for args in [&["ps", "-a"][..], &["images"][..], &["rm", "-af"][..]] {
        let (code, stderr) = e.fails(args);
        assert_eq!(code, 125, "{args:?}: {stderr}");
        assert!(
            stderr.contains(&db.display().to_string())
                && stderr.contains("corrupt")
                && stderr.contains("rpod system reset"),
            "{args:?}: {stderr}"
        );
        not_a_panic(&stderr);
    }
    // Garbage instead of a database: the same.
    std::fs::write(
        &db,
        b"this is not a database, just some text that is long enough",
    )
    .unwrap();
    let (_, stderr) = e.fails(&["ps"]);
    assert!(
        stderr.contains(&db.display().to_string()) && stderr.contains("rpod system reset"),
        "{stderr}"
    );
    not_a_panic(&stderr);
    // The way out: reset clears the roots (and the running container).
    e.ok(&["system", "reset", "-f"]);
    wait_until("the container process to go", POLL_TIMEOUT, || {
        !pid_alive(pid)
    });
    assert!(e.leftover_mounts().is_empty(), "{:?}", e.leftover_mounts());
    assert_eq!(e.ok(&["ps", "-a", "-q"]), "");
    let tar = e.busybox_tar();
    e.ok(&["import", tar.to_str().unwrap(), "busybox"]);
    assert_eq!(e.ok(&["run", "--rm", "busybox", "echo", "again"]), "again");
    assert_eq!(sqlite(&db, "PRAGMA integrity_check;"), "ok");
}
