//! DFL's concrete syntax: lexer, parser, AST and the canonical printer.

pub mod ast;
pub mod lexer;
pub mod parser;
pub mod printer;
pub mod span;

pub use parser::{parse, parse_expr};
pub use printer::{print_expr, print_expr_one_line, print_program};
