//! The deliberately broken protocols ("mutants", CLI.md): each one switch on the correct
//! compute-storage or record-replay model, each a bug a real implementation could plausibly
//! have (docs/protocols.md tells the story of each). `durable mutants` must reject them all.

use crate::faults::Variant;
use crate::history::ReplayCheck;
use crate::protocol::ProtocolInfo;
use crate::worker::Persistence;

/// A broken protocol: what it is and how it differs from the correct one.
pub struct Mutant {
    pub info: ProtocolInfo,
    pub variant: Variant,
    pub persistence: Persistence,
}

const fn info(name: &'static str, model: &'static str, description: &'static str) -> ProtocolInfo {
    ProtocolInfo {
        name,
        model,
        refines: "hl",
        description,
        broken: true,
    }
}

const STATE: Persistence = Persistence::State;

const fn history(check: ReplayCheck, resend: bool) -> Persistence {
    Persistence::History { check, resend }
}

const NONE: Variant = Variant {
    blind_commit: false,
    send_before_commit: false,
    overwrite_queue: false,
    ack_on_fetch: false,
    lock_unsorted: false,
    no_holder_priority: false,
    fresh_ids: false,
    snapshot_without_lock: false,
};

pub const MUTANTS: [Mutant; 10] = [
    Mutant {
        info: info(
            "cs-blind-commit",
            "cs",
            "commit without comparing the stored queue/state it read (no compare-and-swap)",
        ),
        variant: Variant {
            blind_commit: true,
            ..NONE
        },
        persistence: STATE,
    },
    Mutant {
        info: info(
            "cs-send-before-commit",
            "cs",
            "outgoing messages leave when produced, not with the commit",
        ),
        variant: Variant {
            send_before_commit: true,
            ..NONE
        },
        persistence: STATE,
    },
    Mutant {
        info: info(
            "cs-overwrite-queue",
            "cs",
            "a commit replaces the whole input queue, losing messages that arrived meanwhile",
        ),
        variant: Variant {
            overwrite_queue: true,
            ..NONE
        },
        persistence: STATE,
    },
    Mutant {
        info: info(
            "cs-ack-on-fetch",
            "cs",
            "input messages are removed when a worker fetches them, not when it commits",
        ),
        variant: Variant {
            ack_on_fetch: true,
            ..NONE
        },
        persistence: STATE,
    },
    Mutant {
        info: info(
            "rr-replay-sends",
            "rr",
            "replaying a history sends its recorded outgoing messages again",
        ),
        variant: NONE,
        persistence: history(ReplayCheck::Whole, true),
    },
    Mutant {
        info: info(
            "rr-name-only-check",
            "rr",
            "replay compares only the kind and name of a recorded message, not its arguments",
        ),
        variant: NONE,
        persistence: history(ReplayCheck::NameOnly, false),
    },
    Mutant {
        info: info(
            "rr-fresh-ids",
            "rr",
            "call ids are fresh per execution instead of a function of the history",
        ),
        variant: Variant {
            fresh_ids: true,
            ..NONE
        },
        persistence: history(ReplayCheck::IgnoringIds, false),
    },
    Mutant {
        info: info(
            "rr-snapshot-without-lock",
            "rr",
            "an entity's recorded state omits its lock owner",
        ),
        variant: Variant {
            snapshot_without_lock: true,
            ..NONE
        },
        persistence: history(ReplayCheck::Whole, false),
    },
    Mutant {
        info: info(
            "lock-unsorted",
            "cs",
            "a lock set is acquired in the order written, not sorted",
        ),
        variant: Variant {
            lock_unsorted: true,
            ..NONE
        },
        persistence: STATE,
    },
    Mutant {
        info: info(
            "lock-no-holder-priority",
            "cs",
            "a locked entity serves requests in arrival order, the holder's included",
        ),
        variant: Variant {
            no_holder_priority: true,
            ..NONE
        },
        persistence: STATE,
    },
];

pub fn mutant(name: &str) -> Option<&'static Mutant> {
    MUTANTS.iter().find(|m| m.info.name == name)
}
