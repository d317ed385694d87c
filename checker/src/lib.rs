//! `durable-checker`
