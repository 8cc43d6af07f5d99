use super::*;
use proptest::prelude::*;

fn p(text: &str) -> Dockerfile {
    parse(text, "Containerfile").unwrap()
}

#[test]
fn stages_args_and_flags() {
    let d = p("# syntax=docker/dockerfile:1\nARG BASE=busybox\n\nFROM --platform=linux/amd64 $BASE AS Build\n# comment\nRUN --mount=type=cache,target=/c --network=none echo hi\nCOPY --from=build --chown=1:2 a b /dst/\nFROM build\nCMD [\"sh\", \"-c\"]\n");
    assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
    assert_eq!(d.meta_args.len(), 1);
    assert_eq!(d.stages.len(), 2);
    let s0 = &d.stages[0];
    assert_eq!(s0.name.as_deref(), Some("build"));
    assert_eq!(s0.base, "$BASE");
    assert_eq!(s0.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(s0.from.line, 4);
    let run = &s0.instructions[0];
    assert_eq!(run.keyword, Keyword::Run);
    assert_eq!(run.line, 6);
    assert_eq!(run.flag("network"), Some("none"));
    assert_eq!(run.flag_values("mount"), vec!["type=cache,target=/c"]);
    assert_eq!(run.args, "echo hi");
    let copy = &s0.instructions[1];
    assert_eq!(copy.flag("from"), Some("build"));
    assert_eq!(copy.flag("chown"), Some("1:2"));
    assert_eq!(copy.args, "a b /dst/");
    assert_eq!(d.stage_ref("BUILD", 1).unwrap().index, 0);
    assert_eq!(d.stage_ref("0", 1).unwrap().index, 0);
    assert!(d.stage_ref("build", 0).is_none(), "only earlier stages");
    assert_eq!(
        d.stages[1].instructions[0].json_args().unwrap(),
        vec!["sh", "-c"]
    );
    assert_eq!(d.steps(0), 3);
}

#[test]
fn continuations_and_comments() {
    let d = p("FROM x\nRUN echo a \\\n  # inner comment\n\n  b \\\n  c\nENV A=1\n");
    let run = &d.stages[0].instructions[0];
    assert_eq!(run.args, "echo a   b   c");
    assert_eq!(run.line, 2);
    assert_eq!(d.stages[0].instructions[1].line, 7);
}

#[test]
fn escape_directive() {
    let d = p("# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo x\n");
    assert_eq!(d.escape, '`');
    assert_eq!(d.stages[0].instructions[0].args, "dir c:\\   && echo x");
    // A directive after a comment is a comment.
    let d = p("# hello\n# escape=`\nFROM x\nRUN a \\\n b\n");
    assert_eq!(d.escape, '\\');
    assert!(parse("# escape=x\nFROM y\n", "F").is_err());
}

#[test]
fn heredocs() {
    let d = p("FROM x\nRUN <<EOF\necho a\necho b\nEOF\nCOPY <<-\"END\" /f\n\tline $X\n\tEND\nRUN cat <<A <<B\n1\nA\n2\nB\nCMD x\n");
    let ins = &d.stages[0].instructions;
    assert_eq!(ins[0].heredocs[0].content, "echo a\necho b\n");
    assert!(ins[0].heredocs[0].expand);
    assert_eq!(ins[1].heredocs[0].name, "END");
    assert_eq!(ins[1].heredocs[0].content, "line $X\n");
    assert!(!ins[1].heredocs[0].expand);
    assert_eq!(ins[2].heredocs.len(), 2);
    assert_eq!(ins[2].heredocs[1].content, "2\n");
    assert_eq!(ins[3].keyword, Keyword::Cmd);
    assert!(parse("FROM x\nRUN <<EOF\nno end\n", "F").is_err());
    // `<<<` is a here-string and `'<<X'` is quoted: no heredoc.
    let d = p("FROM x\nRUN cat <<<hi\nRUN echo '<<X'\n");
    assert!(d.stages[0].instructions[0].heredocs.is_empty());
    assert!(d.stages[0].instructions[1].heredocs.is_empty());
}

#[test]
fn errors_name_the_line() {
    let e = parse("FROM x\n\nFOO bar\n", "Dockerfile").unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.to_string(), "Dockerfile:3: unknown instruction: FOO");
    let e = parse("RUN x\n", "C").unwrap_err();
    assert!(e.message.contains("before the first FROM"), "{e}");
    let e = parse("FROM x\nCOPY --nope a b\n", "C").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("--nope"));
    assert!(parse("", "C").is_err());
    assert!(parse("FROM a AS x\nFROM b AS x\n", "C").is_err());
    assert!(parse("FROM a AS 1x\n", "C").is_err());
    assert!(parse("FROM a b\n", "C").is_err());
    assert!(parse("FROM a\nRUN\n", "C").is_err());
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC*") {
        let _ = parse(&s, "F");
    }

    #[test]
    fn parse_never_panics_on_dockerfile_like(lines in proptest::collection::vec(
        "(FROM|RUN|COPY|ADD|ENV|ARG|#|# escape=|ONBUILD|HEALTHCHECK)? ?[-a-z=<\"'`\\\\$ {}:\\[\\]]{0,20}", 0..12)) {
        let _ = parse(&lines.join("\n"), "F");
    }

    #[test]
    fn expansion_never_panics(s in "[-a-zA-Z$ {}:+?'\"\\\\`]{0,40}") {
        let look = |n: &str| (n == "A").then(|| "x".to_string());
        let _ = expand_word(&s, &look, '\\');
        let _ = expand_words(&s, &look, '`');
        let _ = split_words(&s, '\\');
    }

    #[test]
    fn ignore_never_panics(pat in "[-a-z*?\\[\\]!/\\\\.]{0,20}", path in "[a-z/.]{0,20}") {
        if let Ok(m) = ignore::IgnoreMatcher::parse(&pat) {
            let _ = m.excluded(&path);
        }
    }
}
