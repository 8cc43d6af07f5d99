//! `/etc/passwd` and `/etc/group` as images ship them.

/// One well-formed `/etc/passwd` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// One well-formed `/etc/group` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// The well-formed lines of a passwd file (`name:pw:uid:gid:gecos:home:shell`,
/// at least through the gid); others are skipped.
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?.to_string();
            let _password = f.next()?;
            let uid = f.next()?.trim().parse().ok()?;
            let gid = f.next()?.trim().parse().ok()?;
            let home = f.nth(1).unwrap_or("").to_string();
            (!name.is_empty()).then_some(PasswdEntry {
                name,
                uid,
                gid,
                home,
            })
        })
        .collect()
}

/// The well-formed lines of a group file (`name:pw:gid[:members]`).
pub fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?.to_string();
            let _password = f.next()?;
            let gid = f.next()?.trim().parse().ok()?;
            let members = f
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect();
            (!name.is_empty()).then_some(GroupEntry { name, gid, members })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn well_formed_lines() {
        let p = parse_passwd("root:x:0:0:root:/root:/bin/sh\nevil:x:1000\nbad:x:a:0\nu:x:5:6\n");
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].uid, p[0].gid, p[0].home.as_str()), (0, 0, "/root"));
        assert_eq!((p[1].name.as_str(), p[1].uid, p[1].gid), ("u", 5, 6));
        let g = parse_group("wheel:x:10:a,b\nshort:x\nnone:x:11\n");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].members, vec!["a", "b"]);
        assert!(g[1].members.is_empty());
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panic(text in ".{0,400}") {
            let _ = parse_passwd(&text);
            let _ = parse_group(&text);
        }

        #[test]
        fn colon_heavy_text_parses_without_panic(text in "[a-z0-9:\n,]{0,200}") {
            for e in parse_passwd(&text) {
                prop_assert!(!e.name.is_empty());
            }
            let _ = parse_group(&text);
        }
    }
}
