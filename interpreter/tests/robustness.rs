//! No input may make the front end panic, hang or overflow the stack: random bytes, token
//! soup and mutated specs end in a result or in located errors; absurdly deep or long inputs
//! end in an error. Run with `--nocapture` to see how long the big inputs take.

use durable_interpreter::diagnostic::SourceFile;
use durable_interpreter::load::{load, read_source, LoadError};
use durable_interpreter::syntax::{parse, print_program};
use proptest::prelude::*;
use proptest::sample::select;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

// ---- helpers ------------------------------------------------------------------------------

/// Longer than any input here may take, by far: beyond it the front end hangs.
const HANG: Duration = Duration::from_secs(300);

/// Runs `f` on a thread with the default (test) stack size; fails if it panics or hangs.
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(HANG) {
        Ok(v) => {
            handle.join().expect("the thread has sent its result");
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread ended without a result"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer after {HANG:?}"),
    }
}

/// Does `text` contain `path:LINE:COL`?
fn has_location(text: &str, path: &str) -> bool {
    let pat = format!("{path}:");
    text.match_indices(&pat).any(|(i, _)| {
        let rest = &text[i + pat.len()..];
        let line = rest.bytes().take_while(u8::is_ascii_digit).count();
        line > 0 && rest[line..].starts_with(':') && {
            let col = rest[line + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            col > 0
        }
    })
}

/// Loads `text` as the spec `path`. Errors must be located: each diagnostic's
/// `path:line:col` and message appear in the rendering. Returns whether it loaded.
fn load_checked(path: &str, text: String) -> Result<bool, String> {
    let file = SourceFile::new(path, text);
    match load(file.clone()) {
        Ok(_) => Ok(true),
        Err(errors) => {
            check_errors(&file, &errors)?;
            Ok(false)
        }
    }
}

fn check_errors(
    file: &SourceFile,
    errors: &durable_interpreter::diagnostic::SpecErrors,
) -> Result<(), String> {
    let rendered = errors.to_string();
    if errors.diagnostics.is_empty() {
        return Err(format!("an error without diagnostics: {rendered}"));
    }
    // Diagnostics are rendered in order: search each one's message and location after the
    // previous one's, which keeps the check linear for files with many errors.
    let text = &file.text;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut from = 0;
    // The first 50 are rendered; the rest are counted on one line.
    let shown = errors.diagnostics.len().min(50);
    if errors.diagnostics.len() > shown {
        let more = format!("error: {} more errors in", errors.diagnostics.len() - shown);
        if !rendered.contains(&more) {
            return Err(format!(
                "the rendering does not count the others:\n{rendered}"
            ));
        }
    }
    for d in &errors.diagnostics[..shown] {
        let offset = (d.span.start as usize).min(text.len());
        let line = line_starts.partition_point(|&s| s <= offset);
        let col = text[line_starts[line - 1]..offset].chars().count() + 1;
        // A location ends its line: `--> path:line:col`.
        let location = format!("{}:{line}:{col}\n", file.path);
        let header = format!("error: {}", d.message);
        let Some(h) = rendered[from..].find(&header) else {
            return Err(format!(
                "the rendering lacks {header:?} (in order):\n{rendered}"
            ));
        };
        let Some(l) = rendered[from + h..].find(&location) else {
            return Err(format!(
                "the rendering lacks {} for {:?}:\n{rendered}",
                location.trim_end(),
                d.message
            ));
        };
        from += h + l + location.len();
    }
    if !has_location(&rendered, &file.path) {
        return Err(format!("no path:line:col in\n{rendered}"));
    }
    Ok(())
}

/// Loads `text`, which must fail; returns the rendered errors.
fn load_err(path: &str, text: &str) -> String {
    let file = SourceFile::new(path, text);
    match load(file.clone()) {
        Ok(_) => panic!("{path} loaded, but an error was expected"),
        Err(errors) => {
            check_errors(&file, &errors).unwrap_or_else(|e| panic!("{e}"));
            errors.to_string()
        }
    }
}

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A temporary file holding `bytes`, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> TempFile {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("durable-robustness-{}-{n}.dfl", std::process::id()));
        std::fs::write(&path, bytes).expect("the temporary directory is writable");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `path:line:col` of the first invalid UTF-8 byte, computed independently of the loader.
fn utf8_location(path: &str, bytes: &[u8]) -> Option<String> {
    let offset = std::str::from_utf8(bytes).err()?.valid_up_to();
    let before = std::str::from_utf8(&bytes[..offset]).expect("valid up to offset");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Some(format!("{path}:{line}:{col}"))
}

/// Reads `bytes` from a file, then loads them: invalid UTF-8 is a located error.
fn read_and_load_checked(bytes: &[u8]) -> Result<(), String> {
    let tmp = TempFile::new(bytes);
    let path = tmp.0.display().to_string();
    match read_source(&tmp.0) {
        Ok(file) => {
            if std::str::from_utf8(bytes).is_err() {
                return Err("invalid UTF-8 was read as text".into());
            }
            if file.text.as_bytes() != bytes {
                return Err("the text read differs from the file".into());
            }
            load_checked(&path, file.text).map(|_| ())
        }
        Err(e @ LoadError::Utf8 { .. }) => {
            let shown = e.to_string();
            let expected = utf8_location(&path, bytes)
                .ok_or_else(|| format!("valid UTF-8 rejected: {shown}"))?;
            if !shown.starts_with(&format!("{expected}: error:")) {
                return Err(format!("expected a location {expected} in {shown}"));
            }
            Ok(())
        }
        Err(e) => Err(format!("unexpected error: {e}")),
    }
}

/// Times `load` of `text` and prints the time; returns the rendered errors, if any.
fn timed_load(what: &str, text: String) -> Result<(), String> {
    let bytes = text.len();
    let label = what.to_string();
    let (result, elapsed) = watchdog(what, move || {
        let start = Instant::now();
        let result = load_checked("big.dfl", text);
        (result, start.elapsed())
    });
    let verdict = match &result {
        Ok(true) => "loaded",
        Ok(false) => "located errors",
        Err(_) => "BAD ERRORS",
    };
    println!("{label}: {bytes} bytes, {verdict} in {elapsed:.2?}");
    result.map(|_| ())
}

// ---- random input -----------------------------------------------------------------------------

/// Pieces of DFL: every keyword, punctuation, names, literals, comment starts, odd characters.
const TOKENS: &[&str] = &[
    "activity",
    "orchestration",
    "entity",
    "extern",
    "def",
    "scenario",
    "init",
    "op",
    "let",
    "rec",
    "in",
    "fun",
    "if",
    "then",
    "else",
    "try",
    "catch",
    "await",
    "call",
    "signal",
    "continue",
    "get",
    "set",
    "lock",
    "fail",
    "start",
    "raise",
    "always",
    "finally",
    "sometimes",
    "expect",
    "pass",
    "timer",
    "event",
    "await_all",
    "await_any",
    "now",
    "true",
    "false",
    "len",
    "head",
    "tail",
    "nth",
    "show",
    "min",
    "max",
    "abs",
    "choose",
    "status",
    "result",
    "state",
    "locked",
    "allow_nondeterminism",
    "crashes",
    "batch",
    "one",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ".",
    ":",
    "=",
    "->",
    "+",
    "++",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "!",
    "_",
    "x",
    "y",
    "_z",
    "A",
    "B",
    "Account",
    "0",
    "1",
    "42",
    "9223372036854775807",
    "9223372036854775808",
    "\"s\"",
    "\"\"",
    "\"a\\\"b\"",
    "\"\\q\"",
    "\"",
    "//",
    "/*",
    "*/",
    "/* c */",
    "// c\n",
    "&",
    "|",
    "'",
    "#",
    "é",
    "\u{0}",
    "12ab",
    "()",
    "\\",
];

const SEPARATORS: &[&str] = &[" ", " ", " ", "\n", "", "\t", "\r\n"];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((select(TOKENS), select(SEPARATORS)), 0..120).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(t, s)| [t, s])
            .collect::<String>()
    })
}

/// Bytes biased toward DFL's characters, with some that are not valid UTF-8.
fn dfl_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => select(b"()[]{};,.:=-+*/%<>!&|\"\\ \n\tazAZ_09ifnleto".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..300)
}

/// Valid specs to mutate.
const SEEDS: &[&str] = &[
    r#"entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }

orchestration Transfer((src, dst, amt)) =
  lock [Account(src), Account(dst)] {
    let b = await call Account(src).get() in
    if b >= amt then
      await call Account(src).add(-amt);
      await call Account(dst).add(amt);
      true
    else false
  }

scenario two_transfers {
  init Account("A") = 100;
  start t1 = Transfer("A", "B", 70);
  start t2 = Transfer("A", "B", 50);
  always state(Account("A")) >= 0;
  finally state(Account("A")) + state(Account("B")) == 100;
  finally result(t1) != result(t2);
}
"#,
    r#"// A header.

extern Coin: [true, false, (1, -2), [Account("A")]]
activity Flip() = call Coin()
def add(a)(b) = a + b
def fact(n) = let rec f(k) = if k <= 1 then 1 else k * f(k - 1) in f(n)
orchestration O(k) =
  let t = timer(5) in
  let e = event("approve") in
  let (i, v) = await_any([t, e]) in
  try await call Flip() catch err -> fail(show(err) ++ "!");
  await_all([call Flip(), call Flip()]);
  signal Account(k).add(add(1)(2));
  if now() > 3 then continue O(k) else [len([1]), head([2]), nth([3], 0), min(1, 2)]
entity Account { init 0; op add(n) = set(get + n); op get() = get }
scenario s [crashes = 1, batch = all, timeouts] {
  init Account("A") = fact(3);
  start t = O("A");
  raise t approve(());
  raise t "approve"(1, 2);
  signal Account("A").add(1);
  sometimes status(t) == "completed";
  always locked(Account("A")) == ();
  expect fail "deadlock" in hl;
}
"#,
];

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, &'static str),
}

/// A seed spec with a few random edits (positions taken modulo its length, on char
/// boundaries).
fn mutated_spec() -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        (any::<usize>(), 1..20usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 1..40usize).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        (any::<usize>(), select(TOKENS)).prop_map(|(at, t)| Edit::Insert(at, t)),
    ];
    (select(SEEDS), prop::collection::vec(edit, 1..6)).prop_map(|(seed, edits)| {
        let mut chars: Vec<char> = seed.chars().collect();
        for e in edits {
            let len = chars.len().max(1);
            match e {
                Edit::Delete(at, n) => {
                    let at = at % len;
                    let end = (at + n).min(chars.len());
                    chars.drain(at.min(end)..end);
                }
                Edit::Duplicate(at, n) => {
                    let at = at % len;
                    let end = (at + n).min(chars.len());
                    let piece: Vec<char> = chars[at.min(end)..end].to_vec();
                    chars.splice(end..end, piece);
                }
                Edit::Insert(at, t) => {
                    let at = (at % len).min(chars.len());
                    chars.splice(at..at, t.chars());
                }
            }
        }
        chars.into_iter().collect()
    })
}

/// Whatever parses also prints, and its printed form parses back to the same AST.
fn fmt_checked(text: &str) -> Result<(), String> {
    let (program, errors) = parse(text);
    if errors.is_empty() {
        let printed = print_program(&program);
        let (again, errors) = parse(&printed);
        if !errors.is_empty() || again != program {
            return Err(format!(
                "fmt does not round-trip:\n{text}\nprinted:\n{printed}\nerrors: {errors:?}"
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_text_loads_or_fails_located(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        load_checked("fuzz.dfl", text.clone()).map_err(TestCaseError::fail)?;
        fmt_checked(&text).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn dfl_like_text_loads_or_fails_located(bytes in dfl_bytes()) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        load_checked("fuzz.dfl", text.clone()).map_err(TestCaseError::fail)?;
        fmt_checked(&text).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn token_soup_loads_or_fails_located(text in token_soup()) {
        load_checked("soup.dfl", text.clone()).map_err(TestCaseError::fail)?;
        fmt_checked(&text).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn mutated_specs_load_or_fail_located(text in mutated_spec()) {
        load_checked("mutant.dfl", text.clone()).map_err(TestCaseError::fail)?;
        fmt_checked(&text).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    // Each case writes a file.
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn raw_bytes_read_from_a_file_load_or_fail_located(bytes in dfl_bytes()) {
        read_and_load_checked(&bytes).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn the_seeds_load() {
    for seed in SEEDS {
        assert_eq!(
            load_checked("seed.dfl", seed.to_string()),
            Ok(true),
            "{seed}"
        );
    }
}

#[test]
fn random_input_never_hangs() {
    // The properties above run on the test thread; this one runs a batch under a watchdog.
    watchdog("a batch of token soups", || {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        for _ in 0..500 {
            let text = token_soup()
                .new_tree(&mut runner)
                .expect("a token soup")
                .current();
            load_checked("soup.dfl", text).expect("located errors");
        }
    });
}

// ---- invalid UTF-8 --------------------------------------------------------------------------

#[test]
fn invalid_utf8_is_a_located_error() {
    let bytes = b"activity A(x) =\n  \xc3\xa9\xff x";
    let tmp = TempFile::new(bytes);
    let err = match read_source(&tmp.0) {
        Err(e) => e,
        Ok(_) => panic!("invalid UTF-8 was accepted"),
    };
    assert!(
        matches!(
            err,
            LoadError::Utf8 {
                line: 2,
                col: 4,
                offset: 20,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:4: error: the file is not valid UTF-8 (byte 20)",
            tmp.0.display()
        )
    );
    // Valid UTF-8 is read as it is.
    let tmp = TempFile::new("activity A(x) = \"é\"".as_bytes());
    let file = read_source(&tmp.0).expect("valid UTF-8");
    assert_eq!(file.text, "activity A(x) = \"é\"");
}

// ---- lexical errors ---------------------------------------------------------------------------

/// The only diagnostic of `src`, which must fail to load.
fn single_error(src: &str) -> durable_interpreter::diagnostic::Diagnostic {
    let file = SourceFile::new("lex.dfl", src);
    let errors = match load(file.clone()) {
        Ok(_) => panic!("{src:?} loaded"),
        Err(e) => e,
    };
    check_errors(&file, &errors).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        errors.diagnostics.len(),
        1,
        "one error expected for {src:?}:\n{errors}"
    );
    errors.diagnostics[0].clone()
}

fn location_of(src: &str, d: &durable_interpreter::diagnostic::Diagnostic) -> String {
    SourceFile::new("lex.dfl", src).location(d.span.start)
}

#[test]
fn huge_integer_literals_are_located_errors() {
    for (src, at) in [
        ("def f(x) = 9223372036854775808", "lex.dfl:1:12"),
        ("def f(x) = -9223372036854775808", "lex.dfl:1:13"),
        (
            "def f(x) =\n  1 + 99999999999999999999999999999999999999",
            "lex.dfl:2:7",
        ),
        ("extern E: [1, 18446744073709551616]", "lex.dfl:1:15"),
        (
            "scenario s [crashes = 99999999999999999999] {}",
            "lex.dfl:1:23",
        ),
    ] {
        let d = single_error(src);
        assert_eq!(d.message, "integer literal out of range", "{src}");
        assert_eq!(location_of(src, &d), at, "{src}");
        assert!(d.label.contains("-9223372036854775807 - 1"), "{d:?}");
    }
    // The largest literal and the documented way to write the minimum load.
    assert_eq!(
        load_checked("ok.dfl", "def f(x) = 9223372036854775807".into()),
        Ok(true)
    );
    assert_eq!(
        load_checked("ok.dfl", "def f(x) = -9223372036854775807 - 1".into()),
        Ok(true)
    );
    // A count that fits in i64 but not in an option's range is a parse error.
    let d = single_error("scenario s [crashes = 4294967296] {}");
    assert!(d.message.contains("non-negative count"), "{d:?}");
}

#[test]
fn unterminated_strings_and_comments_are_located_errors() {
    for (src, message, at) in [
        ("def f(x) = \"abc", "unterminated string", "lex.dfl:1:12"),
        (
            "def f(x) = \"abc\ndef g(x) = 1",
            "unterminated string",
            "lex.dfl:1:12",
        ),
        ("def f(x) = \"abc\\", "unterminated string", "lex.dfl:1:12"),
        (
            "def f(x) = \"abc\\\ndef g(x) = \"x\"",
            "unterminated string",
            "lex.dfl:1:12",
        ),
        (
            "def f(x) = 1 /* abc",
            "unterminated block comment",
            "lex.dfl:1:14",
        ),
        (
            "def f(x) = 1\n/* a /* b */ c",
            "unterminated block comment",
            "lex.dfl:2:1",
        ),
        (
            "def f(x) = 1 /*/",
            "unterminated block comment",
            "lex.dfl:1:14",
        ),
        (
            "def f(x) = \"a\\qb\"",
            "unknown escape in string",
            "lex.dfl:1:14",
        ),
        ("def f(x) = 12ab", "malformed number", "lex.dfl:1:12"),
        (
            "def f(x) = x + # 1",
            "unexpected character '#'",
            "lex.dfl:1:16",
        ),
        (
            "def f(x) = \"é\" ++ é\"x\"",
            "unexpected character 'é'",
            "lex.dfl:1:19",
        ),
    ] {
        let d = single_error(src);
        assert_eq!(d.message, message, "{src:?}");
        assert_eq!(location_of(src, &d), at, "{src:?}");
    }
    // Nested comments that are closed, and comment markers inside strings, are fine.
    assert_eq!(
        load_checked(
            "ok.dfl",
            "/* a /* b */ c */ def f(x) = \"/* not a comment\" // end".into()
        ),
        Ok(true)
    );
}

#[test]
fn lexical_errors_are_capped() {
    let src = "def f(x) = ".to_string() + &"# ".repeat(10_000);
    let rendered = load_err("many.dfl", &src);
    let count = rendered.matches("error: unexpected character").count();
    assert!((1..=20).contains(&count), "{count} errors:\n{rendered}");
}

// ---- deep nesting -----------------------------------------------------------------------------

const DEEP: usize = 100_000;

/// Inputs nested [`DEEP`] levels: each must end in a located error, never a stack overflow.
fn deep_inputs() -> Vec<(&'static str, String)> {
    let n = DEEP;
    vec![
        (
            "parentheses",
            format!("def f(x) = {}1{}", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "brackets",
            format!("def f(x) = {}1{}", "[".repeat(n), "]".repeat(n)),
        ),
        ("unary minus", format!("def f(x) = {}1", "- ".repeat(n))),
        ("unary not", format!("def f(x) = {}true", "!".repeat(n))),
        (
            "let chain",
            format!("def f(x) = {}x", "let x = 1 in ".repeat(n)),
        ),
        (
            "addition chain",
            format!("def f(x) = 1{}", " + 1".repeat(n)),
        ),
        (
            "application chain",
            format!("def f(x) = f{}", "(1)".repeat(n)),
        ),
        ("sequence", format!("def f(x) = {}x", "x; ".repeat(n))),
        (
            "if chain",
            format!(
                "def f(x) = {}1{}",
                "if x then ".repeat(n),
                " else 2".repeat(n)
            ),
        ),
        (
            "fun chain",
            format!("def f(x) = {}x", "fun y -> ".repeat(n)),
        ),
        (
            "await chain",
            format!("orchestration O(x) = {}x", "await ".repeat(n)),
        ),
        (
            "tuple pattern",
            format!("def f{}x{} = 1", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "lock chain",
            format!(
                "orchestration O(x) = {}x{}",
                "lock [x] { ".repeat(n),
                " }".repeat(n)
            ),
        ),
        (
            "unclosed parentheses",
            format!("def f(x) = {}", "(".repeat(n)),
        ),
        (
            "entity key",
            format!(
                "entity E {{ init 0 }}\nscenario s {{ init E({}1{}) = 1 }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "comment nesting",
            format!("{}1{} def f(x) = 1", "/*".repeat(n), "*/".repeat(n)),
        ),
    ]
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (what, src) in deep_inputs() {
        let label = format!("{DEEP} deep: {what}");
        let (result, elapsed) = watchdog(&label, move || {
            let start = Instant::now();
            let file = SourceFile::new("deep.dfl", src);
            let result = load(file.clone())
                .map(|_| ())
                .map_err(|errors| (check_errors(&file, &errors), errors.to_string()));
            (result, start.elapsed())
        });
        println!("{label}: {elapsed:.2?}");
        if what == "comment nesting" {
            // A comment nested 100,000 deep is just a long comment.
            assert_eq!(result, Ok(()), "{label}");
            continue;
        }
        let Err((located, rendered)) = result else {
            panic!("{label} loaded")
        };
        located.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(
            rendered.contains("nesting too deep") || rendered.contains("too long"),
            "{label}: {rendered}"
        );
    }
}

/// A construct's name and its text nested n levels deep.
type Form = (&'static str, fn(usize) -> String);

/// Forms nested `n` levels deep, each a valid spec for every `n`.
fn nestable_forms() -> Vec<Form> {
    vec![
        ("parentheses", |n| {
            format!("def f(x) = {}x{}", "(".repeat(n), ")".repeat(n))
        }),
        ("brackets", |n| {
            format!("def f(x) = {}1{}", "[".repeat(n), "]".repeat(n))
        }),
        ("unary minus", |n| format!("def f(x) = {}1", "- ".repeat(n))),
        ("let chain", |n| {
            format!("def f(x) = {}x", "let x = 1 in ".repeat(n))
        }),
        ("addition chain", |n| {
            format!("def f(x) = 1{}", " + 1".repeat(n))
        }),
        ("application chain", |n| {
            format!("def f(x) = x{}", "(1)".repeat(n))
        }),
        ("sequence", |n| format!("def f(x) = {}x", "x; ".repeat(n))),
        ("if chain", |n| {
            format!(
                "def f(x) = {}1{}",
                "if x then ".repeat(n),
                " else 2".repeat(n)
            )
        }),
        ("fun chain", |n| {
            format!("def f(x) = {}x", "fun y -> ".repeat(n))
        }),
        ("await chain", |n| {
            format!("orchestration O(x) = {}x", "await ".repeat(n))
        }),
        ("tuple pattern", |n| {
            format!("def f(a, {}b{}) = 1", "(_, ".repeat(n), ")".repeat(n))
        }),
        ("scenario data", |n| {
            format!(
                "entity E {{ init 0 }}\nscenario s {{ init E({}1{}) = [{}2{}] }}",
                "(1, ".repeat(n),
                ")".repeat(n),
                "[".repeat(n),
                "]".repeat(n)
            )
        }),
    ]
}

/// At the deepest nesting the parser accepts everything works: loading (evaluating a
/// scenario's data too), printing, and the round trip; one level deeper is an error.
#[test]
fn nesting_up_to_the_limit_loads_and_prints() {
    use durable_interpreter::syntax::parser::MAX_NESTING;
    for (what, make) in nestable_forms() {
        watchdog(what, move || {
            let parses = |n: usize| parse(&make(n)).1.is_empty();
            // The largest n that parses, by bisection: parses(lo), !parses(hi).
            let (mut lo, mut hi) = (1, 2 * MAX_NESTING);
            assert!(parses(lo), "{what}: 1 level does not parse");
            assert!(!parses(hi), "{what}: {hi} levels parse");
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if parses(mid) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            println!("{what}: at most {lo} levels");
            assert!(
                (MAX_NESTING / 2..=MAX_NESTING).contains(&lo),
                "{what}: the limit is {lo} levels"
            );
            let src = make(lo);
            let (program, errors) = parse(&src);
            assert!(errors.is_empty(), "{what}: {errors:?}");
            let printed = print_program(&program);
            let (again, errors) = parse(&printed);
            assert!(errors.is_empty(), "{what}: reprinted: {errors:?}");
            assert!(again == program, "{what}: the round trip changed the AST");
            assert_eq!(
                load_checked("limit.dfl", src),
                Ok(true),
                "{what} at {lo} levels does not load"
            );
            let rendered = load_err("limit.dfl", &make(lo + 1));
            assert!(
                rendered.contains("nesting too deep") || rendered.contains("too long"),
                "{what}: {rendered}"
            );
        });
    }
}

// ---- big files ----------------------------------------------------------------------------------

const BIG: usize = 10 * 1024 * 1024;

/// Repeats `piece(i)` for i = 0, 1, ... until the text reaches [`BIG`] bytes.
fn big(prefix: &str, piece: impl Fn(usize) -> String, suffix: &str) -> String {
    let mut s = prefix.to_string();
    let mut i = 0;
    while s.len() < BIG {
        s.push_str(&piece(i));
        i += 1;
    }
    s.push_str(suffix);
    s
}

#[test]
fn ten_megabytes_of_declarations_end() {
    timed_load(
        "10 MB of defs",
        big("", |i| format!("def f{i}(x) = x + {i}\n"), ""),
    )
    .unwrap();
    timed_load(
        "10 MB of activities calling each other",
        big(
            "",
            |i| format!("activity A{i}(x) = if x > 0 then [x, {i}] else \"a{i}\"\n"),
            "",
        ),
    )
    .unwrap();
    timed_load(
        "10 MB of scenario items",
        big(
            "entity E { init 0; op add(n) = set(get + n) }\norchestration O(x) = x\nscenario s {\n",
            |i| format!("  start t{i} = O({i});\n  signal E({i}).add(1);\n"),
            "}\n",
        ),
    )
    .unwrap();
    timed_load(
        "10 MB list",
        big("def f(x) = [", |i| format!("{i}, "), "0]\n"),
    )
    .unwrap();
    timed_load(
        "10 MB string",
        big("def f(x) = \"", |_| "abcdefgh".into(), "\"\n"),
    )
    .unwrap();
    timed_load(
        "10 MB comment",
        big("/*", |_| "comment ".into(), "*/ def f(x) = 1\n"),
    )
    .unwrap();
    timed_load(
        "10 MB of duplicate defs",
        big("", |_| "def f(x) = x\n".into(), ""),
    )
    .unwrap();
}

#[test]
fn ten_megabytes_of_garbage_end() {
    // Deterministic pseudo-random bytes (xorshift), read through the UTF-8 check.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..BIG)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    timed_load("10 MB of random bytes", text).unwrap();
    let start = Instant::now();
    let tmp = TempFile::new(&bytes);
    let read = read_source(&tmp.0);
    println!(
        "10 MB of random bytes from a file: {} in {:.2?}",
        if read.is_err() { "error" } else { "read" },
        start.elapsed()
    );
    assert!(matches!(read, Err(LoadError::Utf8 { .. })));

    timed_load(
        "10 MB of closing brackets",
        big("", |_| ") ] } ".into(), ""),
    )
    .unwrap();
    timed_load(
        "10 MB of token soup",
        big(
            "",
            |i| TOKENS[(i * 7919) % TOKENS.len()].to_string() + " ",
            "",
        ),
    )
    .unwrap();
    timed_load(
        "10 MB of declaration keywords, one a line",
        big("", |_| "activity\n".into(), ""),
    )
    .unwrap();
    timed_load(
        "10 MB of declaration keywords on one line",
        big("", |_| "activity ".into(), ""),
    )
    .unwrap();
    timed_load(
        "10 MB in one scenario of bad items",
        big("scenario s {\n", |_| "  foo;\n".into(), "}"),
    )
    .unwrap();
    timed_load(
        "10 MB in one unterminated string",
        big("def f(x) = \"", |_| "abcdefgh".into(), ""),
    )
    .unwrap();
}
