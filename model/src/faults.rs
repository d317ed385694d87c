//! The fault budget of an execution path, and the switches of the deliberately broken
//! protocol variants.

use durable_interpreter::syntax::ast::BatchMode;

/// How many faults one execution path may contain, and how workers batch (CLI.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultBudget {
    pub crashes: u32,
    pub duplicates: u32,
    pub lost_commits: u32,
    pub batch: BatchMode,
    pub timeouts: bool,
}

/// The faults a path has used so far (part of the state: what may still happen depends on it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Used {
    pub crashes: u32,
    pub duplicates: u32,
    pub lost_commits: u32,
}

/// A protocol variant: the correct one has every switch off. Each switch is one real bug
/// (docs/protocols.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Variant {
    /// Commit without comparing the stored queue and state the worker read.
    pub blind_commit: bool,
    /// Outgoing messages leave when produced, not with the commit.
    pub send_before_commit: bool,
    /// A commit replaces the whole queue, losing messages that arrived meanwhile.
    pub overwrite_queue: bool,
    /// Messages are removed when a worker fetches them, not when it commits.
    pub ack_on_fetch: bool,
    /// Lock sets are acquired in the order written, not sorted.
    pub lock_unsorted: bool,
    /// A locked entity serves requests in arrival order, the holder's included.
    pub no_holder_priority: bool,
    /// Call ids are fresh each time the code runs instead of a function of the history.
    pub fresh_ids: bool,
    /// An entity's recorded state omits its lock owner.
    pub snapshot_without_lock: bool,
}
