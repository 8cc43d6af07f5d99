//! An old state database (schema version 1) upgraded by opening the engine.

use rusqlite::{params, Connection};

use super::support::TestEngine;
use crate::db::{MIGRATIONS, SCHEMA_VERSION};
use crate::pods::PodCreateOptions;
use crate::{ContainerStatus, CreateOptions};

/// A container's row as this build writes it: id, name, config, state, created.
type Row = (String, String, String, String, i64);

fn rows(db: &std::path::Path) -> Vec<Row> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, name, config, state, created FROM containers ORDER BY created")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<Vec<Row>>>()
        .unwrap();
    rows
}

fn user_version(db: &std::path::Path) -> usize {
    Connection::open(db)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn a_version_1_database_is_upgraded_with_its_containers_kept() {
    // Two containers made by this engine (one has run and exited, one
    // depends on it), their rows written into a database of schema 1:
    // only the containers table, no volumes, pods or dependency index.
    let source = TestEngine::new();
    let mut c = source.create("old");
    c.start().unwrap();
    c.stop(Some(1)).unwrap();
    source
        .rt
        .create_container(CreateOptions {
            requires: vec!["old".into()],
            ..source.options("needs-old")
        })
        .unwrap();
    let old_rows = rows(&source.rt.paths().db());
    assert_eq!(old_rows.len(), 2);

    let e = TestEngine::prepared(|dir| {
        let root = dir.join("root");
        std::fs::create_dir_all(&root).unwrap();
        let conn = Connection::open(root.join("rpod.db")).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        for (id, name, config, state, created) in &old_rows {
            conn.execute(
                "INSERT INTO containers (id, name, config, state, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, name, config, state, created],
            )
            .unwrap();
        }
    });
    let db = e.rt.paths().db();
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION > 1) };
    // The rows are kept as they were.
    assert_eq!(rows(&db), old_rows);

    let old = e.rt.container("old").unwrap();
    assert_eq!(old.status(), ContainerStatus::Exited);
    assert_eq!(old.state().exit_code, 143);
    assert_eq!(old.config().cmd, ["/bin/app", "--serve"]);
    let names: Vec<_> =
        e.rt.containers()
            .unwrap()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
    assert_eq!(names, ["old", "needs-old"]);

    // The dependency index was built from the stored configurations.
    let mut old = e.rt.container("old").unwrap();
    let err = old.remove(false, None).unwrap_err();
    assert!(err.to_string().contains("needs-old"), "{err}");

    // Tables of later versions work.
    e.rt.create_pod(PodCreateOptions {
        name: Some("newer".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(e.rt.pods().unwrap().len(), 1);
    e.rt.create_volume(Some("data"), Default::default(), Default::default(), false)
        .unwrap();

    // The container runs under the upgraded database.
    let mut old = e.rt.container("old").unwrap();
    old.start().unwrap();
    assert_eq!(old.status(), ContainerStatus::Running);
}

#[test]
fn a_database_newer_than_this_build_is_refused() {
    let e = TestEngine::new();
    let db = e.rt.paths().db();
    let options = e.rt.options.clone();
    drop(e.rt);
    Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = crate::Runtime::with_oci(options, e.fake.clone())
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("newer than this rpod understands"),
        "{err}"
    );
    assert_eq!(err.exit_code(), 125);
}
