//! Random template text and random values must never panic (or overflow the
//! stack): every outcome is output or an error.

use gotmpl::{Template, Value};
use serde_json::json;

/// A small xorshift generator: deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    ".",
    ".Name",
    ".Config",
    ".Labels",
    ".a",
    "$",
    "$x",
    "$x := ",
    "$i, $v := ",
    " = ",
    "(",
    ")",
    "|",
    " ",
    "\"",
    "\"s\"",
    "`raw`",
    "'c'",
    "'",
    "1",
    "-2",
    "1.5",
    "0x1F",
    "1e3",
    "true",
    "nil",
    "if ",
    "else",
    "else if ",
    "end",
    "range ",
    "with ",
    "define ",
    "template ",
    "block ",
    "break",
    "continue",
    "\"t\"",
    "and ",
    "or ",
    "not ",
    "len ",
    "index ",
    "slice ",
    "print ",
    "printf ",
    "\"%d %s %v %5.2f %q %x %!\"",
    "println ",
    "html ",
    "js ",
    "urlquery ",
    "eq ",
    "ne ",
    "lt ",
    "ge ",
    "call ",
    "json ",
    "upper ",
    "lower ",
    "title ",
    "truncate ",
    "split ",
    "join ",
    "pad ",
    ".Format ",
    "\"2006 Jan .000 Z07:00\"",
    ".Unix",
    ",",
    ":",
    "=",
    "\n",
    "é",
    "\\",
    "x",
    "0",
    "9999999999999999999999",
    "-",
];

fn data() -> Value {
    Value::from_json(&json!({
        "Name": "n",
        "Config": {"Labels": {"a": "b"}, "Cmd": ["x", "y"]},
        "Labels": {"a": "1"},
        "Nums": [1, 2.5, null, true, "s"],
        "T": "2026-12-02T02:44:20.958806119Z",
        "Nil": null,
    }))
}

#[test]
fn random_pieces_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let d = data();
    let mut parsed = 0;
    for _ in 0..30_000 {
        let n = 1 + rng.below(14);
        let text: String = (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        if let Ok(t) = Template::parse(&text) {
            parsed += 1;
            let _ = t.execute(&d);
            let _ = t.execute(&Value::Nil);
        }
    }
    assert!(parsed > 100, "only {parsed} random templates parsed");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(12345);
    let alphabet: Vec<char> = "{}.$()|-:=\"'`/* \n\t\\abcxyz019é_,".chars().collect();
    for _ in 0..30_000 {
        let n = rng.below(24);
        let text: String = (0..n)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        if let Ok(t) = Template::parse(&text) {
            let _ = t.execute(&data());
        }
        let wrapped = format!("{{{{{text}}}}}");
        if let Ok(t) = Template::parse(&wrapped) {
            let _ = t.execute(&data());
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for depth in [50, 200, 5_000] {
        let parens = format!("{{{{{}1{}}}}}", "(".repeat(depth), ")".repeat(depth));
        let _ = Template::parse(&parens);
        let ifs = format!("{}x{}", "{{if 1}}".repeat(depth), "{{end}}".repeat(depth));
        let _ = Template::parse(&ifs).map(|t| t.execute(&Value::Nil));
    }
    let t =
        Template::parse(r#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#).unwrap();
    assert!(t.execute(&data()).is_err());
}

#[test]
fn every_function_with_awkward_arguments() {
    let args = [
        "",
        " nil",
        " .Nil",
        " .Nums",
        " .Labels",
        " .T",
        " 1",
        " -1",
        " \"s\"",
        " 1.5",
        " true",
        " .Missing",
    ];
    let d = data();
    for f in gotmpl::FUNCTIONS {
        for a in args {
            for b in args {
                for c in ["", " 2", " \"x\""] {
                    let text = format!("{{{{{f}{a}{b}{c}}}}}");
                    if let Ok(t) = Template::parse(&text) {
                        let _ = t.execute(&d);
                    }
                }
            }
        }
    }
}
