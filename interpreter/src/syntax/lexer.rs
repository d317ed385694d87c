//! The lexer (LANGUAGE.md §1). Comments are returned beside the tokens so the printer can keep
//! them; lexical errors are collected and lexing goes on, so one file reports several.

use super::ast::{Comment, Span};
use crate::diagnostic::Diagnostic;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// `[a-z_][A-Za-z0-9_]*` (but not `_` alone): variables and operation names.
    Ident(String),
    /// `[A-Z][A-Za-z0-9_]*`: activities, orchestrations, entities, externs.
    Name(String),
    /// `_`
    Wild,
    Int(i64),
    Str(String),
    Kw(Kw),
    True,
    False,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Dot,
    Colon,
    Assign,
    Arrow,
    Plus,
    PlusPlus,
    Minus,
    Star,
    Slash,
    Percent,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Eof,
}

macro_rules! keywords {
    ($($variant:ident = $text:literal),* $(,)?) => {
        /// The reserved words of LANGUAGE.md §1.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kw { $($variant),* }

        impl Kw {
            pub fn text(self) -> &'static str {
                match self { $(Kw::$variant => $text),* }
            }

            pub fn from_text(s: &str) -> Option<Kw> {
                match s { $($text => Some(Kw::$variant),)* _ => None }
            }
        }
    };
}

keywords! {
    Activity = "activity", Orchestration = "orchestration", Entity = "entity", Extern = "extern",
    Def = "def", Scenario = "scenario", Init = "init", Op = "op", Let = "let", Rec = "rec",
    In = "in", Fun = "fun", If = "if", Then = "then", Else = "else", Try = "try",
    Catch = "catch", Await = "await", Call = "call", Signal = "signal", Continue = "continue",
    Get = "get", Set = "set", Lock = "lock", Fail = "fail", Start = "start", Raise = "raise",
    Always = "always", Finally = "finally", Sometimes = "sometimes", Expect = "expect",
    Pass = "pass", Timer = "timer", Event = "event", AwaitAll = "await_all",
    AwaitAny = "await_any", Now = "now",
}

impl Kw {
    /// Keywords that begin a top-level declaration.
    pub fn starts_decl(self) -> bool {
        matches!(
            self,
            Kw::Activity | Kw::Orchestration | Kw::Entity | Kw::Extern | Kw::Def | Kw::Scenario
        )
    }
}

impl Tok {
    /// How the token is named in "expected ..., found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Name(s) => format!("`{s}`"),
            Tok::Wild => "`_`".into(),
            Tok::Int(n) => format!("`{n}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Kw(k) => format!("`{}`", k.text()),
            Tok::Eof => "the end of the file".into(),
            other => format!("`{}`", other.punct_text()),
        }
    }

    fn punct_text(&self) -> &'static str {
        match self {
            Tok::True => "true",
            Tok::False => "false",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Semi => ";",
            Tok::Dot => ".",
            Tok::Colon => ":",
            Tok::Assign => "=",
            Tok::Arrow => "->",
            Tok::Plus => "+",
            Tok::PlusPlus => "++",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
            _ => "?",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Comment>,
    pub errors: Vec<Diagnostic>,
}

/// At most this many lexical errors are reported per file; garbage input stops there.
const MAX_ERRORS: usize = 20;

pub fn lex(src: &str) -> Lexed {
    let mut lx = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        out: Lexed {
            tokens: Vec::new(),
            comments: Vec::new(),
            errors: Vec::new(),
        },
    };
    lx.run();
    lx.out
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: Lexed,
}

impl Lexer<'_> {
    fn peek_at(&self, k: usize) -> u8 {
        *self.bytes.get(self.pos + k).unwrap_or(&0)
    }

    fn error(&mut self, start: usize, end: usize, message: String, label: &str) {
        self.out
            .errors
            .push(Diagnostic::new(message, Span::new(start, end), label));
    }

    fn run(&mut self) {
        while self.out.errors.len() < MAX_ERRORS {
            self.skip_space_and_comments();
            let start = self.pos;
            if start >= self.bytes.len() {
                break;
            }
            if let Some(tok) = self.token() {
                self.out.tokens.push(Token {
                    tok,
                    span: Span::new(start, self.pos),
                });
            }
        }
        let end = self.bytes.len();
        self.out.tokens.push(Token {
            tok: Tok::Eof,
            span: Span::new(end, end),
        });
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            match self.peek_at(0) {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if self.peek_at(1) == b'/' => {
                    let start = self.pos;
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                    let text = self.src[start..self.pos].trim_end().to_string();
                    self.out.comments.push(Comment {
                        text,
                        span: Span::new(start, self.pos),
                    });
                }
                b'/' if self.peek_at(1) == b'*' => self.block_comment(),
                _ => return,
            }
        }
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1usize;
        while depth > 0 {
            if self.pos >= self.bytes.len() {
                self.error(
                    start,
                    start + 2,
                    "unterminated block comment".into(),
                    "this `/*` is never closed by `*/`",
                );
                return;
            }
            if self.peek_at(0) == b'/' && self.peek_at(1) == b'*' {
                depth += 1;
                self.pos += 2;
            } else if self.peek_at(0) == b'*' && self.peek_at(1) == b'/' {
                depth -= 1;
                self.pos += 2;
            } else {
                self.pos += 1;
            }
        }
        // As the printer writes it: each line without trailing whitespace (a `\r` of a
        // Windows line end included), so that a comment reads back the same.
        let text: Vec<&str> = self.src[start..self.pos]
            .lines()
            .map(str::trim_end)
            .collect();
        self.out.comments.push(Comment {
            text: text.join("\n"),
            span: Span::new(start, self.pos),
        });
    }

    fn token(&mut self) -> Option<Tok> {
        let start = self.pos;
        let c = self.peek_at(0);
        let two = |lx: &mut Self, second: u8, yes: Tok, no: Tok| {
            if lx.peek_at(1) == second {
                lx.pos += 2;
                yes
            } else {
                lx.pos += 1;
                no
            }
        };
        let tok = match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => return Some(self.word()),
            b'0'..=b'9' => return self.number(),
            b'"' => return self.string(),
            b'(' => self.single(Tok::LParen),
            b')' => self.single(Tok::RParen),
            b'[' => self.single(Tok::LBracket),
            b']' => self.single(Tok::RBracket),
            b'{' => self.single(Tok::LBrace),
            b'}' => self.single(Tok::RBrace),
            b',' => self.single(Tok::Comma),
            b';' => self.single(Tok::Semi),
            b'.' => self.single(Tok::Dot),
            b':' => self.single(Tok::Colon),
            b'*' => self.single(Tok::Star),
            b'/' => self.single(Tok::Slash),
            b'%' => self.single(Tok::Percent),
            b'+' => two(self, b'+', Tok::PlusPlus, Tok::Plus),
            b'-' => two(self, b'>', Tok::Arrow, Tok::Minus),
            b'=' => two(self, b'=', Tok::EqEq, Tok::Assign),
            b'!' => two(self, b'=', Tok::NotEq, Tok::Bang),
            b'<' => two(self, b'=', Tok::Le, Tok::Lt),
            b'>' => two(self, b'=', Tok::Ge, Tok::Gt),
            b'&' if self.peek_at(1) == b'&' => {
                self.pos += 2;
                Tok::AndAnd
            }
            b'|' if self.peek_at(1) == b'|' => {
                self.pos += 2;
                Tok::OrOr
            }
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('\0');
                self.pos += ch.len_utf8().max(1);
                let hint = match ch {
                    '&' => "write `&&`",
                    '|' => "write `||`",
                    '\'' => "strings use double quotes",
                    _ => "not part of DFL",
                };
                self.error(
                    start,
                    self.pos,
                    format!("unexpected character {ch:?}"),
                    hint,
                );
                return None;
            }
        };
        Some(tok)
    }

    fn single(&mut self, tok: Tok) -> Tok {
        self.pos += 1;
        tok
    }

    fn word(&mut self) -> Tok {
        let start = self.pos;
        while matches!(self.peek_at(0), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        if text == "_" {
            return Tok::Wild;
        }
        if text == "true" {
            return Tok::True;
        }
        if text == "false" {
            return Tok::False;
        }
        if let Some(kw) = Kw::from_text(text) {
            return Tok::Kw(kw);
        }
        if text.as_bytes()[0].is_ascii_uppercase() {
            Tok::Name(text.to_string())
        } else {
            Tok::Ident(text.to_string())
        }
    }

    fn number(&mut self) -> Option<Tok> {
        let start = self.pos;
        while self.peek_at(0).is_ascii_digit() {
            self.pos += 1;
        }
        if matches!(self.peek_at(0), b'a'..=b'z' | b'A'..=b'Z' | b'_') {
            while matches!(self.peek_at(0), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
                self.pos += 1;
            }
            self.error(
                start,
                self.pos,
                "malformed number".into(),
                "a number is digits only",
            );
            // A stand-in, so the parser reports no second error for the missing operand.
            return Some(Tok::Int(0));
        }
        let text = &self.src[start..self.pos];
        match text.parse::<i64>() {
            Ok(n) => Some(Tok::Int(n)),
            Err(_) => {
                self.error(
                    start,
                    self.pos,
                    "integer literal out of range".into(),
                    "integers are 64-bit signed; write the minimum as `-9223372036854775807 - 1`",
                );
                Some(Tok::Int(0))
            }
        }
    }

    fn string(&mut self) -> Option<Tok> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.pos..];
            let Some(ch) = rest.chars().next() else {
                self.error(
                    start,
                    start + 1,
                    "unterminated string".into(),
                    "this string is never closed",
                );
                return Some(Tok::Str(out));
            };
            match ch {
                '"' => {
                    self.pos += 1;
                    break;
                }
                '\n' => {
                    self.error(
                        start,
                        self.pos,
                        "unterminated string".into(),
                        "strings end on their line; write `\\n` for a newline",
                    );
                    return Some(Tok::Str(out));
                }
                '\\' => {
                    let esc = rest[1..].chars().next();
                    let (value, len) = match esc {
                        Some('"') => ('"', 2),
                        Some('\\') => ('\\', 2),
                        Some('n') => ('\n', 2),
                        Some('t') => ('\t', 2),
                        // A backslash ending the line or the file escapes nothing: the string
                        // is unterminated, and the newline must not be swallowed.
                        None | Some('\n') => {
                            self.pos += 1;
                            continue;
                        }
                        other => {
                            let len = 1 + other.map_or(0, char::len_utf8);
                            self.error(
                                self.pos,
                                self.pos + len,
                                "unknown escape in string".into(),
                                "the escapes are \\\" \\\\ \\n \\t",
                            );
                            ('?', len)
                        }
                    };
                    out.push(value);
                    self.pos += len;
                }
                _ => {
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
        // After an error the string stands in as it is: the error is reported already.
        Some(Tok::Str(out))
    }
}
