//! Located errors in spec files, rendered with the offending line and a caret.

use crate::syntax::span::{line_col, Span};
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Chars, Config};
use std::fmt;

/// One problem in a source file: what is wrong, where, and what was expected or which rule
/// was broken (the label under the caret) with optional notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Span,
    pub label: String,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Span, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            label: label.into(),
            notes: Vec::new(),
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
}

/// A spec file's name and text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    /// `path:line:col` of a byte offset.
    pub fn location(&self, offset: u32) -> String {
        let (line, col) = line_col(&self.text, offset as usize);
        format!("{}:{line}:{col}", self.path)
    }
}

/// Everything wrong with one spec file: the diagnostics in source order, and their rendering
/// (`error: ...`, then `--> file:line:col`, the line, a caret and the label).
#[derive(Clone, Debug)]
pub struct SpecErrors {
    pub path: String,
    pub diagnostics: Vec<Diagnostic>,
    pub rendered: String,
}

impl SpecErrors {
    pub fn new(file: &SourceFile, mut diagnostics: Vec<Diagnostic>) -> SpecErrors {
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        diagnostics.dedup_by(|a, b| a.span.start == b.span.start && a.message == b.message);
        let mut rendered = render(file, &diagnostics[..diagnostics.len().min(MAX_SHOWN)]);
        if diagnostics.len() > MAX_SHOWN {
            rendered.push_str(&format!(
                "error: {} more errors in {}\n",
                diagnostics.len() - MAX_SHOWN,
                file.path
            ));
        }
        SpecErrors {
            path: file.path.clone(),
            diagnostics,
            rendered,
        }
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rendered.trim_end())
    }
}

impl std::error::Error for SpecErrors {}

/// At most this many diagnostics are rendered (all are kept in `SpecErrors::diagnostics`).
const MAX_SHOWN: usize = 50;

/// Source lines longer than this are not shown in full: the diagnostic names the location and
/// shows the part of the line around it.
const MAX_LINE: usize = 240;

/// Renders diagnostics as text without colour, rustc style.
pub fn render(file: &SourceFile, diagnostics: &[Diagnostic]) -> String {
    let files = SimpleFile::new(file.path.as_str(), file.text.as_str());
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let mut out = String::new();
    for d in diagnostics {
        let len = file.text.len();
        let start = (d.span.start as usize).min(len);
        let end = (d.span.end as usize).clamp(start, len);
        let line_start = file.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = file.text[start..].find('\n').map_or(len, |i| start + i);
        if line_end - line_start > MAX_LINE {
            out.push_str(&long_line(file, d, start, line_start, line_end));
            continue;
        }
        let report = Report::error()
            .with_message(&d.message)
            .with_labels(vec![Label::primary((), start..end).with_message(&d.label)])
            .with_notes(d.notes.clone());
        match term::emit_into_string(&config, &files, &report) {
            Ok(text) => out.push_str(&text),
            Err(_) => out.push_str(&format!(
                "error: {}\n  --> {}\n",
                d.message,
                file.location(d.span.start)
            )),
        }
    }
    out
}

/// A diagnostic on a very long line: the location, then a window of the line around it.
fn long_line(
    file: &SourceFile,
    d: &Diagnostic,
    start: usize,
    line_start: usize,
    line_end: usize,
) -> String {
    let text = &file.text;
    let mut from = start.saturating_sub(MAX_LINE / 2).max(line_start);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (from + MAX_LINE).min(line_end);
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    let caret = text[from..start].chars().count();
    let mut out = format!(
        "error: {}\n  --> {}\n   | …{}…\n   |  {}^ {}\n",
        d.message,
        file.location(d.span.start),
        &text[from..to],
        " ".repeat(caret),
        d.label
    );
    for n in &d.notes {
        out.push_str(&format!("   = {n}\n"));
    }
    out
}
