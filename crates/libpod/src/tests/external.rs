//! External containers: what storage holds that no record owns.

use super::support::TestEngine;

#[test]
fn storage_only_containers_are_external_and_records_are_not() {
    let e = TestEngine::new();
    let known = e.create("known");
    e.rt.store()
        .unwrap()
        .create_container(
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            None,
        )
        .unwrap();
    let external = e.rt.external_containers().unwrap();
    assert_eq!(external.len(), 1, "{external:?}");
    let x = &external[0];
    assert_eq!(
        x.id,
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        (x.state.as_str(), x.status.as_str()),
        ("storage", "Storage")
    );
    assert_eq!(x.image, "scratch");
    assert!(e.rt.external_container_exists("0123456789ab").unwrap());
    assert!(!e.rt.external_container_exists(known.id()).unwrap());
    assert!(!e.rt.external_container_exists("").unwrap());
}

#[test]
fn image_prune_keeps_images_of_external_containers_unless_told() {
    let e = TestEngine::new();
    let tar = e.dir.path().join("layer.tar");
    {
        let mut b = tar::Builder::new(std::fs::File::create(&tar).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, "f", &b"hi"[..]).unwrap();
        b.finish().unwrap();
    }
    let image =
        e.rt.store()
            .unwrap()
            .import(
                &mut std::fs::File::open(&tar).unwrap(),
                storage::ImportOptions::default(),
            )
            .unwrap();
    let xid = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    e.rt.store()
        .unwrap()
        .create_container(xid, Some(&image.id))
        .unwrap();
    let filters = crate::query::PruneFilters::default();
    assert!(e
        .rt
        .prune_images_external(false, &filters, false)
        .unwrap()
        .is_empty());
    assert_eq!(e.rt.external_containers().unwrap().len(), 1);
    let removed = e.rt.prune_images_external(false, &filters, true).unwrap();
    assert_eq!(removed.len(), 1);
    assert!(e.rt.external_containers().unwrap().is_empty());
}
