use super::*;
use crate::digest::sha256_hex;
use crate::testutil::{gzip, TarBuilder, MTIME};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use tempfile::TempDir;

/// A layer directory plus a sibling directory that hostile archives try to reach.
struct Sandbox {
    _tmp: TempDir,
    layer: PathBuf,
    outside: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let layer = tmp.path().join("a/b/layer");
        let outside = tmp.path().join("a/outside");
        fs::create_dir_all(&layer).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret"), b"secret").unwrap();
        Sandbox {
            _tmp: tmp,
            layer,
            outside,
        }
    }

    fn extract(&self, tar: &[u8]) -> Result<ExtractedLayer> {
        extract_layer(&mut &tar[..], &self.layer)
    }

    fn outside_untouched(&self) -> bool {
        let names: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names == [OsStr::new("secret")]
            && fs::read(self.outside.join("secret")).unwrap() == b"secret"
    }
}

fn assert_unsafe(result: Result<ExtractedLayer>, expected_reason: &str) {
    match result {
        Err(Error::UnsafeArchive { reason, .. }) => {
            assert!(reason.contains(expected_reason), "reason {reason:?}")
        }
        other => panic!("expected UnsafeArchive({expected_reason}), got {other:?}"),
    }
}

#[test]
fn rejects_parent_components() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.raw(b"../x", EntryType::Regular, b"", b"data");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "'..'");

    let mut tar = TarBuilder::new();
    tar.raw(b"ok/../../outside/x", EntryType::Regular, b"", b"data");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "'..'");
    assert!(sandbox.outside_untouched());
}

#[test]
fn rejects_absolute_paths() {
    let sandbox = Sandbox::new();
    let target = format!("{}/evil", sandbox.outside.display());
    let mut tar = TarBuilder::new();
    tar.raw(target.as_bytes(), EntryType::Regular, b"", b"data");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "absolute");
    assert!(sandbox.outside_untouched());
}

#[test]
fn rejects_writing_through_an_absolute_symlink() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.symlink("a", sandbox.outside.to_str().unwrap())
        .file("a/secret", b"overwritten")
        .file("a/new", b"planted");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "symlink");
    assert!(sandbox.outside_untouched());
}

#[test]
fn rejects_writing_through_a_relative_symlink() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.dir("d")
        .symlink("d/up", "../../../outside")
        .dir("d/up/newdir");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "symlink");
    assert!(sandbox.outside_untouched());
}

#[test]
fn rejects_parents_that_are_files() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.file("f", b"x").file("f/child", b"y");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "not a directory");
}

#[test]
fn replaces_a_symlink_instead_of_writing_through_it() {
    let sandbox = Sandbox::new();
    let secret = sandbox.outside.join("secret");
    let mut tar = TarBuilder::new();
    tar.symlink("f", secret.to_str().unwrap())
        .file("f", b"mine");
    sandbox.extract(&tar.into_bytes()).unwrap();
    assert!(sandbox.outside_untouched());
    let meta = fs::symlink_metadata(sandbox.layer.join("f")).unwrap();
    assert!(meta.is_file());
    assert_eq!(fs::read(sandbox.layer.join("f")).unwrap(), b"mine");
}

#[test]
fn rejects_hardlink_escapes() {
    let sandbox = Sandbox::new();
    let secret = sandbox.outside.join("secret");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"../../outside/secret".to_vec(), "'..'"),
        (secret.to_str().unwrap().as_bytes().to_vec(), "absolute"),
        (b"missing".to_vec(), "not yet extracted"),
    ];
    for (target, reason) in cases {
        let mut tar = TarBuilder::new();
        tar.raw(b"h", EntryType::Link, &target, b"");
        assert_unsafe(sandbox.extract(&tar.into_bytes()), reason);
    }
    // Through a symlinked directory planted by an earlier entry.
    let mut tar = TarBuilder::new();
    tar.symlink("d", sandbox.outside.to_str().unwrap())
        .hardlink("h", "d/secret");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "non-directory");
    // To a directory.
    let mut tar = TarBuilder::new();
    tar.dir("dir").hardlink("h", "dir");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "directory");
    assert_eq!(fs::metadata(&secret).unwrap().nlink(), 1);
    assert!(sandbox.outside_untouched());
}

#[test]
fn rejects_overlong_components() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.file(&format!("dir/{}", "n".repeat(300)), b"x");
    assert_unsafe(sandbox.extract(&tar.into_bytes()), "too long");
}

#[test]
fn extracts_all_entry_kinds() {
    let sandbox = Sandbox::new();
    let long_name = format!("deep/{}", "l".repeat(200));
    let mut tar = TarBuilder::new();
    tar.dir_with("./etc", 0o750, 1000)
        .file_with("./etc/passwd", b"root:x:0:0", 0o4755, 1000, 2000)
        .symlink("etc/link", "/does/not/exist")
        .hardlink("etc/hard", "etc/passwd")
        .node("dev/null", EntryType::Char, 1, 3)
        .node("dev/loop0", EntryType::Block, 7, 0)
        .node("run/fifo", EntryType::Fifo, 0, 0)
        .pax(&[("SCHILY.xattr.user.greeting", b"hello")])
        .file("xattr-file", b"x")
        .pax(&[("SCHILY.xattr.trusted.overlay.redirect", b"/etc")])
        .file("sneaky", b"x")
        .file(&long_name, b"long")
        .file("implicit/parents/file", b"p");
    let bytes = tar.into_bytes();
    let extracted = sandbox.extract(&bytes).unwrap();
    assert_eq!(extracted.diff_id, format!("sha256:{}", sha256_hex(&bytes)));
    assert_eq!(extracted.tar_size, bytes.len() as u64);

    let root = &sandbox.layer;
    let etc = fs::symlink_metadata(root.join("etc")).unwrap();
    assert_eq!(etc.mode() & 0o7777, 0o750);
    assert_eq!(
        etc.mtime(),
        1000,
        "directory mtime is applied after its children"
    );

    let passwd = fs::symlink_metadata(root.join("etc/passwd")).unwrap();
    assert_eq!(passwd.mode() & 0o7777, 0o4755);
    assert_eq!((passwd.uid(), passwd.gid()), (1000, 2000));
    assert_eq!(passwd.mtime(), MTIME as i64);
    assert_eq!(fs::read(root.join("etc/passwd")).unwrap(), b"root:x:0:0");

    assert_eq!(
        fs::read_link(root.join("etc/link")).unwrap(),
        PathBuf::from("/does/not/exist")
    );
    let hard = fs::symlink_metadata(root.join("etc/hard")).unwrap();
    assert_eq!(hard.ino(), passwd.ino());

    let null = fs::symlink_metadata(root.join("dev/null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), makedev(1, 3));
    assert_eq!(null.mode() & 0o7777, 0o640);
    let block = fs::symlink_metadata(root.join("dev/loop0")).unwrap();
    assert!(block.file_type().is_block_device());
    assert_eq!(block.rdev(), makedev(7, 0));
    assert!(fs::symlink_metadata(root.join("run/fifo"))
        .unwrap()
        .file_type()
        .is_fifo());

    assert_eq!(
        xattr::get(&root.join("xattr-file"), b"user.greeting").unwrap(),
        Some(b"hello".to_vec())
    );
    assert_eq!(
        xattr::get(&root.join("sneaky"), b"trusted.overlay.redirect").unwrap(),
        None
    );
    assert_eq!(fs::read(root.join(&long_name)).unwrap(), b"long");
    assert_eq!(fs::read(root.join("implicit/parents/file")).unwrap(), b"p");
}

#[test]
fn converts_whiteouts_to_overlay_format() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.dir("d")
        .file("d/.wh..wh..opq", b"")
        .file("d/new", b"new")
        .file(".wh.gone", b"")
        .file("sub/.wh.hidden", b"")
        .file(".wh..wh.plnk", b"");
    sandbox.extract(&tar.into_bytes()).unwrap();
    let root = &sandbox.layer;
    for whiteout in ["gone", "sub/hidden"] {
        let meta = fs::symlink_metadata(root.join(whiteout)).unwrap();
        assert!(meta.file_type().is_char_device(), "{whiteout}");
        assert_eq!(meta.rdev(), 0);
    }
    assert_eq!(
        xattr::get(&root.join("d"), xattr::OVERLAY_OPAQUE).unwrap(),
        Some(b"y".to_vec())
    );
    assert!(!root.join("d/.wh..wh..opq").exists());
    assert!(!root.join(".wh.gone").exists());
    assert!(!root.join(".wh..wh.plnk").exists());
    assert!(!root.join("plnk").exists());
}

#[test]
fn later_entries_replace_earlier_ones() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.dir("x")
        .file("x/child", b"c")
        .file("x", b"now a file")
        .file("y", b"file")
        .dir("y")
        .file("y/inner", b"i");
    sandbox.extract(&tar.into_bytes()).unwrap();
    assert_eq!(fs::read(sandbox.layer.join("x")).unwrap(), b"now a file");
    assert_eq!(fs::read(sandbox.layer.join("y/inner")).unwrap(), b"i");
}

#[test]
fn gzip_input_hashes_the_uncompressed_stream() {
    let sandbox = Sandbox::new();
    let mut tar = TarBuilder::new();
    tar.file("f", &[7u8; 10_000]);
    let plain = tar.into_bytes();
    let extracted = sandbox.extract(&gzip(&plain)).unwrap();
    assert_eq!(extracted.diff_id, format!("sha256:{}", sha256_hex(&plain)));
    assert_eq!(
        fs::read(sandbox.layer.join("f")).unwrap(),
        vec![7u8; 10_000]
    );
}

#[test]
fn truncated_input_fails() {
    let mut tar = TarBuilder::new();
    tar.file("f", &[1u8; 50_000]).file("g", b"g");
    let plain = tar.into_bytes();
    let compressed = gzip(&plain);
    for truncated in [&compressed[..compressed.len() / 2], &plain[..20_000]] {
        let sandbox = Sandbox::new();
        let err = sandbox.extract(truncated).unwrap_err();
        assert!(matches!(err, Error::Archive(_)), "{err:?}");
    }
}

/// Yields one byte per read call, like a slow pipe.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((byte, rest)), Some(slot)) => {
                *slot = *byte;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn sniffs_gzip_from_slow_readers() {
    let mut tar = TarBuilder::new();
    tar.file("f", b"content");
    let plain = tar.into_bytes();
    for input in [gzip(&plain), plain.clone()] {
        let sandbox = Sandbox::new();
        let extracted = extract_layer(&mut Trickle(&input), &sandbox.layer).unwrap();
        assert_eq!(extracted.diff_id, format!("sha256:{}", sha256_hex(&plain)));
        assert_eq!(fs::read(sandbox.layer.join("f")).unwrap(), b"content");
    }
}

#[test]
fn empty_input_is_an_empty_layer() {
    let sandbox = Sandbox::new();
    let extracted = sandbox.extract(b"").unwrap();
    assert_eq!(extracted.tar_size, 0);
    assert_eq!(fs::read_dir(&sandbox.layer).unwrap().count(), 0);
}

#[test]
fn parses_pax_times() {
    assert_eq!(parse_pax_time(b"12"), Some(TimeSpec::new(12, 0)));
    assert_eq!(
        parse_pax_time(b"12.5"),
        Some(TimeSpec::new(12, 500_000_000))
    );
    assert_eq!(
        parse_pax_time(b"1.1234567891"),
        Some(TimeSpec::new(1, 123_456_789))
    );
    assert_eq!(
        parse_pax_time(b"-1.5"),
        Some(TimeSpec::new(-2, 500_000_000))
    );
    assert_eq!(
        parse_pax_time(b"-0.25"),
        Some(TimeSpec::new(-1, 750_000_000))
    );
    assert_eq!(parse_pax_time(b"x"), None);
}

#[test]
fn sanitizes_paths() {
    assert_eq!(
        sanitize_path(b"./a//b/./c/").unwrap(),
        PathBuf::from("a/b/c")
    );
    assert_eq!(sanitize_path(b"./").unwrap(), PathBuf::new());
    assert!(sanitize_path(b"/a").is_err());
    assert!(sanitize_path(b"a/..").is_err());
}
