use std::fs;
use std::os::unix::fs::symlink;

use super::*;

fn roundtrip(src: &Located, top: Option<&str>, dest: &std::path::Path) {
    let mut buf = Vec::new();
    pack(src, top, &mut buf).unwrap();
    let dir = DirHandle::open(dest).unwrap();
    unpack(&mut buf.as_slice(), &dir, UnpackOptions::default()).unwrap();
}

#[test]
fn copies_a_tree_with_links() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("d/e")).unwrap();
    fs::write(src.join("d/e/f"), b"hello").unwrap();
    fs::hard_link(src.join("d/e/f"), src.join("d/hl")).unwrap();
    symlink("/etc/passwd", src.join("d/link")).unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    roundtrip(
        &Located::on_host(&src.join("d")).unwrap(),
        Some("copy"),
        &out,
    );
    assert_eq!(fs::read(out.join("copy/e/f")).unwrap(), b"hello");
    assert_eq!(fs::read(out.join("copy/hl")).unwrap(), b"hello");
    assert_eq!(
        fs::read_link(out.join("copy/link")).unwrap(),
        std::path::Path::new("/etc/passwd")
    );
    // Contents only.
    let out2 = tmp.path().join("out2");
    fs::create_dir(&out2).unwrap();
    roundtrip(&Located::on_host(&src.join("d/.")).unwrap(), None, &out2);
    assert!(out2.join("e/f").is_file());
}

#[test]
fn paths_resolve_inside_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(root.join("etc/secret"), b"inside").unwrap();
    fs::write(outside.join("secret"), b"outside").unwrap();
    symlink("/etc", root.join("abs")).unwrap();
    symlink("../../../../../../outside", root.join("rel")).unwrap();
    let loc = Located::in_root(&root, "/abs/secret").unwrap();
    assert!(loc.exists());
    let dir = loc.parent();
    assert_eq!(fs::read(dir.child(loc.name().unwrap())).unwrap(), b"inside");
    // The relative link climbs no further than the root: /outside does not exist there.
    assert!(Located::in_root(&root, "/rel/secret").is_err());
    let loc = Located::in_root(&root, "/../../etc/secret").unwrap();
    assert!(loc.exists());
}

#[test]
fn unpacking_never_writes_through_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("dest");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&dest).unwrap();
    fs::create_dir_all(&outside).unwrap();
    symlink(&outside, dest.join("evil")).unwrap();
    symlink(outside.join("file"), dest.join("file")).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h.clone(), "file", &b"abc"[..]).unwrap();
    b.append_data(&mut h, "evil/x", &b"abc"[..]).unwrap_or(());
    let data = b.into_inner().unwrap();
    let dir = DirHandle::open(&dest).unwrap();
    let err = unpack(&mut data.as_slice(), &dir, UnpackOptions::default());
    assert!(err.is_err());
    // The symlink `file` was replaced by a regular file; nothing appeared outside.
    assert!(fs::symlink_metadata(dest.join("file")).unwrap().is_file());
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
}
