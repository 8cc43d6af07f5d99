//! Template constructs and builtins, checked against Go's text/template.

use gotmpl::{Error, Template, Value};
use serde_json::json;

fn data() -> serde_json::Value {
    json!({
        "Id": "0123456789abcdef",
        "Name": "web",
        "Config": {
            "Labels": {"x": "y", "a": "b"},
            "Cmd": ["sleep", "1000"],
            "Env": ["A=1", "B=2"],
            "Empty": [],
        },
        "State": {
            "Running": true,
            "Pid": 42,
            "StartedAt": "2026-12-02T02:44:20.958806119Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": null,
        },
        "Size": 1.5,
        "Big": 1000000.0,
        "Count": 0,
        "Nums": [3, 1, 2],
        "Nested": {"a": [1, 2]},
        "Html": "<b>&'\"",
    })
}

fn r(t: &str) -> String {
    render(t, &data())
}

fn render(t: &str, d: &serde_json::Value) -> String {
    let tm = Template::parse(t).unwrap_or_else(|e| panic!("parse {t:?}: {e}"));
    tm.execute_json(d)
        .unwrap_or_else(|e| panic!("exec {t:?}: {e}"))
}

fn err(t: &str) -> String {
    match Template::parse(t) {
        Err(e) => e.to_string(),
        Ok(tm) => match tm.execute_json(&data()) {
            Err(e) => e.to_string(),
            Ok(out) => panic!("{t:?} rendered {out:?}, expected an error"),
        },
    }
}

#[test]
fn text_and_fields() {
    assert_eq!(r("plain"), "plain");
    assert_eq!(r(""), "");
    assert_eq!(r("{{.Name}}"), "web");
    assert_eq!(r("{{.ID}} {{.Id}}"), "0123456789abcdef 0123456789abcdef");
    assert_eq!(r("{{.State.Pid}}"), "42");
    assert_eq!(r("{{.Config.Labels}}"), "map[a:b x:y]");
    assert_eq!(r("{{.Config.Cmd}}"), "[sleep 1000]");
    assert_eq!(r("{{.Config.Labels.a}}"), "b");
    assert_eq!(r("{{.Config.Labels.missing}}"), "<no value>");
    assert_eq!(r("{{.Config.Labels.missing.deeper}}"), "<no value>");
    assert_eq!(r("{{.Nested}}"), "map[a:[1 2]]");
    assert_eq!(r("{{.State.Health}}"), "<nil>");
    assert_eq!(r("{{.State.Running}}"), "true");
    assert_eq!(r("{{.Size}} {{.Big}}"), "1.5 1e+06");
    assert_eq!(r("{{.Config.Empty}}"), "[]");
    assert_eq!(
        r("{{.State.StartedAt}}"),
        "2026-12-02 02:44:20.958806119 +0000 UTC"
    );
    assert_eq!(render("{{.}}", &json!("")), "");
    assert_eq!(render("{{.}}", &json!(null)), "<nil>");
    assert_eq!(render("{{.}}", &json!(["a", "b"])), "[a b]");
    assert_eq!(render("{{.}}", &json!({"a": "b"})), "map[a:b]");
    assert_eq!(render("{{.}}", &json!(5)), "5");
}

#[test]
fn time_methods() {
    assert_eq!(r(r#"{{.State.StartedAt.Format "2006"}}"#), "2026");
    assert_eq!(
        r(r#"{{.State.StartedAt.Format "Jan 2, 2006 at 3:04pm (MST) .000"}}"#),
        "Dec 2, 2026 at 2:44am (UTC) .958"
    );
    assert_eq!(r("{{.State.StartedAt.Unix}}"), "1796179460");
    assert_eq!(r("{{.State.StartedAt.UnixNano}}"), "1796179460958806119");
    assert_eq!(r("{{.State.StartedAt.Year}}"), "2026");
    assert_eq!(
        r("{{.State.StartedAt.IsZero}} {{.State.FinishedAt.IsZero}}"),
        "false true"
    );
    assert_eq!(r(r#"{{(.State.StartedAt).Format "01-02"}}"#), "12-02");
    assert_eq!(r(r#"{{"2006" | .State.StartedAt.Format}}"#), "2026");
    assert_eq!(
        r("{{json .State.StartedAt}}"),
        r#""2026-12-02T02:44:20.958806119Z""#
    );
    assert!(
        err("{{.State.StartedAt.Nope}}").contains("can't evaluate field Nope in type time.Time")
    );
    assert!(err("{{.State.StartedAt.Format}}")
        .contains("wrong number of args for Format: want 1 got 0"));
}

#[test]
fn trim_markers_and_comments() {
    assert_eq!(r("a  {{- .Name -}}  b"), "awebb");
    assert_eq!(r("a \n {{- .Name}} \n b"), "aweb \n b");
    assert_eq!(r("a{{/* note */}}b"), "ab");
    assert_eq!(r("a \n{{- /* note */ -}}\n b"), "ab");
    assert_eq!(r("{{-3}}"), "-3");
    assert_eq!(r("{{ .Name }}"), "web");
}

#[test]
fn literals() {
    assert_eq!(
        r(r#"{{"a\tb"}}|{{`raw\n`}}|{{'a'}}|{{1.5}}|{{0x10}}|{{true}}|{{1e3}}"#),
        "a\tb|raw\\n|97|1.5|16|true|1000"
    );
    assert_eq!(
        r("{{-5}} {{+5}} {{1_0 | print}} {{0b11}} {{-1.5e-3}}"),
        "-5 5 10 3 -0.0015"
    );
    assert_eq!(r("{{print nil}}"), "<nil>");
}

#[test]
fn variables() {
    assert_eq!(r("{{$x := .Name}}{{$x}}"), "web");
    assert_eq!(r("{{$x := 1}}{{$x = 2}}{{$x}}"), "2");
    assert_eq!(r("{{with .Config}}{{$.Name}}{{end}}"), "web");
    assert_eq!(
        r("{{$c := .Config}}{{$c.Cmd}} {{$c.Labels.a}}"),
        "[sleep 1000] b"
    );
    assert_eq!(r("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
    assert_eq!(r("{{if true}}{{$y := 1}}{{$y}}{{end}}"), "1");
    assert!(err("{{if true}}{{$y := 1}}{{end}}{{$y}}").contains("undefined variable \"$y\""));
    assert!(err("{{$z}}").contains("undefined variable \"$z\""));
}

#[test]
fn pipelines_and_parens() {
    assert_eq!(r("{{.Name | printf \"%s!\"}}"), "web!");
    assert_eq!(r("{{.Name | upper | printf \"<%s>\"}}"), "<WEB>");
    assert_eq!(r("{{(len .Config.Cmd)}}"), "2");
    assert_eq!(
        r("{{printf \"%d-%d\" (len .Config.Cmd) (len .Nums)}}"),
        "2-3"
    );
    assert_eq!(r("{{(index .Config.Cmd 1)}}"), "1000");
    assert_eq!(r("{{(.Config).Labels.x}}"), "y");
}

#[test]
fn conditionals() {
    assert_eq!(r("{{if .State.Running}}yes{{else}}no{{end}}"), "yes");
    assert_eq!(r("{{if .Count}}yes{{else}}no{{end}}"), "no");
    assert_eq!(
        r("{{if .Config.Empty}}a{{else if .Count}}b{{else if .Name}}c{{else}}d{{end}}"),
        "c"
    );
    assert_eq!(r("{{if .Config.Labels.missing}}a{{else}}b{{end}}"), "b");
    assert_eq!(r("{{if .State}}struct is true{{end}}"), "struct is true");
    assert_eq!(r("{{with .Config.Labels}}{{.a}}{{end}}"), "b");
    assert_eq!(r("{{with .Count}}x{{else}}zero{{end}}"), "zero");
    assert_eq!(r("{{with $x := .Name}}{{$x}}{{end}}"), "web");
    assert_eq!(r("{{with .Count}}a{{else with .Name}}{{.}}{{end}}"), "web");
}

#[test]
fn ranges() {
    assert_eq!(r("{{range .Config.Env}}{{.}},{{end}}"), "A=1,B=2,");
    assert_eq!(
        r("{{range $i, $v := .Config.Cmd}}{{$i}}={{$v}} {{end}}"),
        "0=sleep 1=1000 "
    );
    assert_eq!(r("{{range $v := .Nums}}{{$v}}{{end}}"), "312");
    assert_eq!(
        r("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}};{{end}}"),
        "a:b;x:y;"
    );
    assert_eq!(r("{{range .Config.Labels}}{{.}}{{end}}"), "by");
    assert_eq!(r("{{range .Config.Empty}}x{{else}}empty{{end}}"), "empty");
    assert_eq!(r("{{range .State.Health}}x{{else}}none{{end}}"), "none");
    assert_eq!(
        r("{{range .Nums}}{{if eq . 1}}{{break}}{{end}}{{.}}{{end}}"),
        "3"
    );
    assert_eq!(
        r("{{range .Nums}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}"),
        "32"
    );
    assert_eq!(r("{{range .Config.Cmd}}{{$.Name}}{{end}}"), "webweb");
    assert!(err("{{range .Name}}{{end}}").contains("range can't iterate over web"));
    assert!(err("{{break}}").contains("{{break}} outside {{range}}"));
}

#[test]
fn define_template_block() {
    assert_eq!(
        r(r#"{{define "t"}}[{{.}}]{{end}}{{template "t" .Name}}{{template "t" 5}}"#),
        "[web][5]"
    );
    assert_eq!(r(r#"{{block "b" .Name}}<{{.}}>{{end}}"#), "<web>");
    assert_eq!(
        r(r#"{{define "n"}}{{.}}{{end}}{{template "n"}}"#),
        "<no value>"
    );
    assert_eq!(
        r(r#"{{template "t" .}}{{define "t"}}{{.Name}}{{end}}"#),
        "web"
    );
    let e = err(r#"{{template "nope"}}"#);
    assert!(e.contains("no template \"nope\""), "{e}");
    let e = err(r#"{{define "a"}}{{template "a"}}{{end}}{{template "a"}}"#);
    assert!(e.contains("exceeded maximum template depth"), "{e}");
}

#[test]
fn logic_builtins() {
    assert_eq!(
        r("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 \"\"}}"),
        "0 2 3 "
    );
    assert_eq!(r("{{not .Count}} {{not .Name}}"), "true false");
    // and/or stop evaluating at the deciding argument.
    assert_eq!(r("{{or .Name (index .Nums 99)}}"), "web");
    assert_eq!(r("{{and .Count (index .Nums 99)}}"), "0");
    assert_eq!(
        r("{{if and .State.Running (eq .Name \"web\")}}ok{{end}}"),
        "ok"
    );
}

#[test]
fn comparisons() {
    assert_eq!(
        r("{{eq .Name \"web\"}} {{eq .Name \"x\" \"y\" \"web\"}} {{eq .State.Pid 42}}"),
        "true true true"
    );
    assert_eq!(r("{{ne .Name \"web\"}} {{ne 1 2}}"), "false true");
    assert_eq!(
        r("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2.5}}"),
        "true true true false"
    );
    assert_eq!(
        r("{{eq .State.Health nil}} {{eq .Config.Labels.missing \"x\"}}"),
        "true false"
    );
    assert!(err("{{eq 1 \"a\"}}").contains("incompatible types for comparison"));
    assert!(err("{{lt true false}}").contains("invalid type for comparison"));
    assert!(err("{{eq .Nums .Nums}}").contains("non-comparable"));
}

#[test]
fn collection_builtins() {
    assert_eq!(
        r("{{len .Config.Cmd}} {{len .Name}} {{len .Config.Labels}}"),
        "2 3 2"
    );
    assert_eq!(
        r("{{index .Config.Labels \"a\"}}|{{index .Config.Labels \"zz\"}}|{{index .Nums 0}}"),
        "b||3"
    );
    assert_eq!(r("{{index .Nested \"a\" 1}}"), "2");
    assert_eq!(
        r("{{slice .Nums 1}} {{slice .Nums 1 2}} {{slice .Name 1}} {{slice .Nums}}"),
        "[1 2] [1] eb [3 1 2]"
    );
    assert!(err("{{index .Nums 5}}").contains("error calling index: index out of range: 5"));
    assert!(err("{{len 3}}").contains("error calling len: len of type int"));
    assert!(err("{{slice .Nums 2 1}}").contains("invalid slice index: 2 > 1"));
}

#[test]
fn print_builtins() {
    assert_eq!(r("{{print .Name 1 2 \"x\"}}"), "web1 2x");
    assert_eq!(r("{{println .Name 1}}"), "web 1\n");
    assert_eq!(r(r#"{{printf "%s-%d" .Name 5}}"#), "web-5");
    assert_eq!(
        r(r#"{{printf "%v %q %x %t %5.2f|%-6s|%+v" .Name .Name .Name true 3.14159 .Name .Size}}"#),
        "web \"web\" 776562 true  3.14|web   |1.5"
    );
    assert_eq!(r(r#"{{printf "%v" .Config.Labels}}"#), "map[a:b x:y]");
    assert_eq!(r(r#"{{printf "%d" .Name}}"#), "%!d(string=web)");
    assert_eq!(r("{{html .Html}}"), "&lt;b&gt;&amp;&#39;&#34;");
    assert_eq!(r("{{js .Html}}"), "\\u003Cb\\u003E\\u0026\\'\\\"");
    assert_eq!(r("{{urlquery \"a b/c\"}}"), "a+b%2Fc");
    assert_eq!(r("{{html 1 2}}"), "1 2");
    assert!(err("{{call .Name}}").contains("error calling call"));
}

#[test]
fn podman_functions() {
    assert_eq!(r("{{json .Config.Cmd}}"), r#"["sleep","1000"]"#);
    assert_eq!(r("{{json .Config.Labels}}"), r#"{"a":"b","x":"y"}"#);
    assert_eq!(r("{{json .Html}}"), r#""<b>&'\"""#);
    assert_eq!(
        r("{{json .Size}} {{json .State.Pid}} {{json .State.Health}}"),
        "1.5 42 null"
    );
    assert_eq!(
        r("{{upper .Name}} {{lower \"ABC\"}} {{title \"hello world\"}}"),
        "WEB abc Hello World"
    );
    assert_eq!(r("{{truncate .Id 4}}|{{truncate .Name 10}}"), "0123|web");
    assert_eq!(
        r("{{split \"a:b:c\" \":\"}} {{len (split \"a:b\" \":\")}}"),
        "[a b c] 2"
    );
    assert_eq!(r("{{join .Config.Cmd \",\"}}"), "sleep,1000");
    assert_eq!(r("{{pad .Name 2 1}}|{{pad \"\" 2 1}}|"), "  web ||");
    assert!(err("{{upper 5}}").contains("wrong type for value; expected string; got int"));
    assert!(err("{{contains .Name \"w\"}}").contains("function \"contains\" not defined"));
}

#[test]
fn errors_are_short_and_placed() {
    let e = err("{{.Foo}}");
    assert_eq!(
        e,
        "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type struct"
    );
    let e = err("x\n  {{.Config.Nope}}");
    assert_eq!(e, "template: :2:4: executing \"\" at <.Config.Nope>: can't evaluate field Nope in type struct");
    let e = err("{{.State.Health.Status}}");
    assert!(
        e.contains("nil pointer evaluating interface {}.Status"),
        "{e}"
    );
    let e = err("{{.Name.Foo}}");
    assert!(e.contains("can't evaluate field Foo in type string"), "{e}");
    assert!(!err("{{.Config.Nope.Deeper.AndMore.AndEvenMoreFields}}").contains("sleep"));
    let e = err("{{.ID");
    assert_eq!(e, "template: :1: unclosed action");
    assert_eq!(err("{{if .Name}}x"), "template: :1: unexpected EOF");
    assert_eq!(err("{{end}}"), "template: :1: unexpected {{end}}");
    assert_eq!(
        err("{{nope 1}}"),
        "template: :1: function \"nope\" not defined"
    );
    assert_eq!(err("{{}}"), "template: :1: missing value for command");
    assert_eq!(err("{{.Name 1}}"), "template: :1:2: executing \"\" at <.Name>: Name has arguments but cannot be invoked as function");
    assert_eq!(
        err("{{\"x\" 1}}"),
        "template: :1:2: executing \"\" at <\"x\">: can't give argument to non-function \"x\""
    );
    assert!(err("{{1 | 2}}").contains("non executable command in pipeline stage 2"));
    assert!(err("{{\"unterminated}}").contains("unterminated quoted string"));
    assert!(err("{{3x}}").contains("bad number syntax"));
    assert!(err("{{nil}}").contains("nil is not a command"));
    let named = Template::parse_named("inspect", "{{.Foo}}").unwrap();
    let e = named.execute_json(&data()).unwrap_err();
    assert!(matches!(e, Error::Exec { .. }));
    assert!(e
        .to_string()
        .starts_with("template: inspect:1:2: executing \"inspect\" at <.Foo>"));
}

#[test]
fn values_can_be_built_directly() {
    let v = Value::Map(
        [(
            "k".to_string(),
            Value::List(vec![Value::Int(1), Value::Float(2.5)]),
        )]
        .into_iter()
        .collect(),
    );
    let t = Template::parse("{{.k}} {{index .k 1}}").unwrap();
    assert_eq!(t.execute(&v).unwrap(), "[1 2.5] 2.5");
}

#[test]
fn parse_once_execute_many() {
    let t = Template::parse("{{.ID}}\t{{.Names}}\t{{json .Labels}}").unwrap();
    let rows: Vec<Value> = (0..1000)
        .map(|i| {
            Value::from_json(
                &json!({"ID": format!("{i:012x}"), "Names": "c", "Labels": {"a": "b"}}),
            )
        })
        .collect();
    let start = std::time::Instant::now();
    for row in &rows {
        t.execute(row).unwrap();
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
}
