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
        let rendered = render(file, &diagnostics);
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
