//! `durable-model`: the execution models.
