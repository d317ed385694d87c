//! The oracle proper (DESIGN.md §7): replays a DFL orchestration over a Durable Task history,
//! event by event, the way an orchestration executor does. The code runs on the interpreter's
//! orchestration driver ([`step`]); this module keeps what the wire adds around it — action
//! ids, request and critical-section ids, the clock — matches every recorded scheduling event
//! with the action the code produced, and feeds every result to the future it answers.
//!
//! Both profiles share this loop; where they differ it says [`Profile::Python`] (what the
//! Durable Task Python SDK does, `traces/conformance/FINDINGS.md`) and records in `warnings`
//! what the strict semantics would have rejected.

use super::payload::{self, entity_text, JsonStyle};
use super::wire::{
    format_timestamp, format_timestamp_micros, Event, EventKind, Failure, Request, WireError,
    YEAR_1000,
};
use durable_interpreter::hl::choice::Choices;
use durable_interpreter::hl::message::{EntityRequest, FutureRef, Message};
use durable_interpreter::hl::orchestration::{step, OrchOptions, OrchState, Run, Status};
use durable_interpreter::load::Spec;
use durable_interpreter::value::Value;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Whose rules the oracle applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// The semantics: recorded messages must match whole.
    Strict,
    /// Durable Task Python SDK 1.12.0.
    Python,
}

/// An event the oracle objects to (a divergence) or, under a lenient profile, lets pass with
/// a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Its 0-based index in `pastEvents` followed by `newEvents`.
    pub event_index: usize,
    pub message: String,
}

/// What the oracle answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The actions to emit, in protobuf JSON, each with its `id`, in id order.
    pub actions: Vec<Json>,
    /// The first event the program could not have produced.
    pub divergence: Option<Finding>,
    /// Python profile: where the strict semantics would have objected.
    pub warnings: Vec<Finding>,
}

/// The Python SDK's `maximum_timer_interval`: longer timers are split into chunks of it.
const PYTHON_MAX_TIMER_SECONDS: i64 = 3 * 24 * 3600;

/// The namespace of the Python SDK's deterministic request ids.
const PYTHON_UUID_NAMESPACE: &str = "9e952958-5e33-4daf-827f-2fa12937b875";

const NONDETERMINISM: &str = "durabletask.task.NonDeterminismError";
const STATE_ERROR: &str = "durabletask.task.OrchestrationStateError";

/// What the code produced, as far as matching a recorded event needs it.
#[derive(Clone, Debug, PartialEq)]
enum Made {
    Task {
        name: Arc<str>,
        input: Json,
    },
    Timer,
    Sub {
        instance: String,
        name: Arc<str>,
        input: Json,
    },
    Call {
        target: String,
        op: Arc<str>,
        input: Json,
    },
    Signal {
        target: String,
        op: Arc<str>,
        input: Json,
    },
    Lock {
        set: Vec<String>,
    },
    Unlock {
        section: String,
        target: String,
    },
}

impl Made {
    /// The SDK method that makes it (the Python SDK names it in its errors).
    fn method(&self) -> &'static str {
        match self {
            Made::Task { .. } => "call_activity",
            Made::Timer => "create_timer",
            Made::Sub { .. } => "call_sub_orchestrator",
            Made::Call { .. } => "call_entity",
            Made::Signal { .. } => "signal_entity",
            Made::Lock { .. } => "lock_entities",
            Made::Unlock { .. } => "unlock_entities",
        }
    }
}

/// An action waiting for the recorded event that confirms it.
struct Pending {
    made: Made,
    action: Json,
    /// Already warned about as missing from its recorded turn.
    warned: bool,
}

/// What a result answers.
#[derive(Clone, Debug)]
enum Task {
    Activity(FutureRef),
    Sub(FutureRef),
    /// A timer, due at `due` (the Python SDK fires long timers in chunks).
    Timer(FutureRef, i64),
    Call {
        future: FutureRef,
        op: Arc<str>,
        target: String,
    },
    Lock(FutureRef),
}

/// Replays `request` under `profile`. `Err` is bad input (exit 2): an orchestration the spec
/// does not declare, an unsupported event under the strict profile, a payload with no DFL
/// value.
pub fn replay(spec: &Spec, profile: Profile, request: &Request) -> Result<Answer, WireError> {
    if request.events.len() == request.past {
        // The SDK's own check (its executor raises OrchestrationStateError).
        return Err(WireError {
            path: "$.newEvents".into(),
            message: "The new history event list must have at least one event in it.".into(),
        });
    }
    let mut oracle = Oracle::new(spec, profile, request);
    for event in &request.events {
        oracle.event(event)?;
        if oracle.divergence.is_some() {
            break;
        }
    }
    Ok(oracle.answer())
}

struct Oracle<'s> {
    spec: &'s Spec,
    profile: Profile,
    instance: Arc<str>,
    /// How many events are recorded (`pastEvents`).
    past: usize,
    orch: Option<OrchState>,
    /// The time the code sees: the last `orchestratorStarted` processed.
    clock: (i64, u32),
    /// The last action id drawn.
    last_id: i64,
    /// Request and critical-section ids drawn in this execution.
    uuids: u32,
    pending: BTreeMap<i64, Pending>,
    tasks: BTreeMap<i64, Task>,
    requests: BTreeMap<String, i64>,
    sections: BTreeMap<String, i64>,
    /// The critical section the code is in, by id.
    section: Option<String>,
    /// Python profile: the entities the SDK will release, in the order it releases them. Its
    /// list of available locks aliases the lock set, so a call inside the section removes
    /// its entity and the response appends it again: the sorted set, minus the entities with
    /// a call pending, plus each entity whose call came back, in that order.
    python_locks: Vec<String>,
    /// Failures delivered to the code, with the details the Python SDK raises for them.
    failures: Vec<(Value, Json)>,
    /// Events held back while suspended.
    held: Option<Vec<Event>>,
    completion: Option<Json>,
    divergence: Option<Finding>,
    warnings: Vec<Finding>,
}

impl<'s> Oracle<'s> {
    fn new(spec: &'s Spec, profile: Profile, request: &Request) -> Oracle<'s> {
        let clock = match profile {
            Profile::Python => (YEAR_1000, 0),
            // Before any orchestratorStarted: the start's own time.
            Profile::Strict => request
                .events
                .iter()
                .find_map(|e| match e.kind {
                    EventKind::ExecutionStarted { .. } => e.timestamp,
                    _ => None,
                })
                .unwrap_or((0, 0)),
        };
        Oracle {
            spec,
            profile,
            instance: Arc::from(request.instance_id.as_str()),
            past: request.past,
            orch: None,
            clock,
            last_id: 0,
            uuids: 0,
            pending: BTreeMap::new(),
            tasks: BTreeMap::new(),
            requests: BTreeMap::new(),
            sections: BTreeMap::new(),
            section: None,
            python_locks: Vec::new(),
            failures: Vec::new(),
            held: None,
            completion: None,
            divergence: None,
            warnings: Vec::new(),
        }
    }

    fn python(&self) -> bool {
        self.profile == Profile::Python
    }

    fn style(&self) -> JsonStyle {
        match self.profile {
            Profile::Strict => JsonStyle::Compact,
            Profile::Python => JsonStyle::Python,
        }
    }

    fn options(&self) -> OrchOptions {
        let python = self.python();
        OrchOptions {
            lock_activities: python,
            lock_sub_orchestrations: python,
            fold_event_names: python,
            sdk_lock_messages: python,
            first_failure_by_arrival: python,
            clock: Some(self.clock.0),
            ..OrchOptions::default()
        }
    }

    fn next_id(&mut self) -> i64 {
        self.last_id += 1;
        self.last_id
    }

    fn path(&self, e: &Event) -> String {
        if e.index < self.past {
            format!("$.pastEvents[{}]", e.index)
        } else {
            format!("$.newEvents[{}]", e.index - self.past)
        }
    }

    /// The strict semantics objects to event `e`: a divergence, or under the Python profile a
    /// warning.
    fn object(&mut self, e: &Event, message: String) {
        let f = Finding {
            event_index: e.index,
            message,
        };
        match self.profile {
            Profile::Strict => self.divergence = Some(f),
            Profile::Python => self.warnings.push(f),
        }
    }

    /// Both profiles: non-determinism. The Python SDK reports it by failing the orchestration.
    fn diverge(&mut self, e: &Event, strict: String, python: String) {
        match self.profile {
            Profile::Strict => {
                self.divergence = Some(Finding {
                    event_index: e.index,
                    message: strict,
                })
            }
            Profile::Python => {
                self.fail_with(json!({"errorType": NONDETERMINISM, "errorMessage": python}));
                self.divergence = Some(Finding {
                    event_index: e.index,
                    message: python,
                });
            }
        }
    }

    fn answer(self) -> Answer {
        let mut actions: Vec<Json> = self.pending.into_values().map(|p| p.action).collect();
        actions.extend(self.completion);
        Answer {
            actions,
            divergence: self.divergence,
            warnings: self.warnings,
        }
    }

    /// Processes one event (suspension holds it back).
    fn event(&mut self, e: &Event) -> Result<(), WireError> {
        if let Some(held) = &mut self.held {
            // The end of a recorded turn is not for the code: it is checked where it stands.
            if !matches!(
                e.kind,
                EventKind::ExecutionResumed
                    | EventKind::ExecutionTerminated { .. }
                    | EventKind::OrchestratorCompleted
            ) {
                held.push(e.clone());
                return Ok(());
            }
        }
        if self.completion.is_some() {
            // A finished orchestration ignores what still arrives.
            return Ok(());
        }
        match &e.kind {
            EventKind::OrchestratorStarted => {
                if let Some(t) = e.timestamp {
                    self.clock = t;
                }
            }
            EventKind::OrchestratorCompleted => self.rule_turn_end(e),
            EventKind::ExecutionStarted { name, input } => {
                self.rule_start(e, name, input.as_deref())?
            }
            EventKind::ExecutionTerminated { input } => self.rule_terminate(input.clone()),
            EventKind::ExecutionSuspended => self.held = Some(Vec::new()),
            EventKind::ExecutionResumed => self.rule_resume()?,
            EventKind::ExecutionCompleted | EventKind::Ignored(_) => {}
            EventKind::TaskScheduled { .. }
            | EventKind::TimerCreated
            | EventKind::SubOrchestrationCreated { .. }
            | EventKind::EntityCalled { .. }
            | EventKind::EntitySignaled { .. }
            | EventKind::EntityLockRequested { .. }
            | EventKind::EntityUnlockSent { .. }
            | EventKind::EventSent { .. } => self.rule_confirm(e)?,
            EventKind::TaskCompleted { task, result } => {
                self.rule_result(e, *task, result.as_deref(), None)?
            }
            EventKind::TaskFailed { task, failure } => {
                self.rule_result(e, *task, None, Some(failure))?
            }
            EventKind::SubOrchestrationCompleted { task, result } => {
                self.rule_result(e, *task, result.as_deref(), None)?
            }
            EventKind::SubOrchestrationFailed { task, failure } => {
                self.rule_result(e, *task, None, Some(failure))?
            }
            EventKind::TimerFired { timer, fire_at } => self.rule_timer_fired(e, *timer, *fire_at),
            EventKind::EntityCompleted { request_id, output } => {
                self.rule_entity_result(e, request_id, output.as_deref(), None)?
            }
            EventKind::EntityFailed {
                request_id,
                failure,
            } => self.rule_entity_result(e, request_id, None, Some(failure))?,
            EventKind::EntityLockGranted { critical_section } => {
                self.rule_lock_granted(e, critical_section)
            }
            EventKind::EventRaised { name, input } => {
                self.rule_event_raised(e, name, input.as_deref())?
            }
            EventKind::Unhandled(kind) => match self.profile {
                Profile::Strict => {
                    return Err(WireError {
                        path: self.path(e),
                        message: format!("an orchestration cannot handle a `{kind}` event"),
                    })
                }
                Profile::Python => {
                    self.object(
                        e,
                        format!("an orchestration cannot handle a `{kind}` event"),
                    );
                    self.fail_with(json!({
                        "errorType": STATE_ERROR,
                        "errorMessage": format!("Don't know how to handle event of type '{kind}'"),
                    }));
                }
            },
        }
        Ok(())
    }

    /// `executionStarted`: the code starts with the recorded input.
    fn rule_start(&mut self, e: &Event, name: &str, input: Option<&str>) -> Result<(), WireError> {
        let path = self.path(e);
        if self.orch.is_some() {
            return Err(WireError {
                path,
                message: "a second executionStarted in one history".into(),
            });
        }
        let Some((declared, _)) = self.spec.orchestrations.get_key_value(name) else {
            return Err(WireError {
                path: format!("{path}.executionStarted.name"),
                message: format!("the spec declares no orchestration `{name}`"),
            });
        };
        let input = payload::parse(input, &format!("{path}.executionStarted.input"), self.spec)?;
        self.orch = Some(OrchState::new(declared.clone(), input));
        self.run();
        Ok(())
    }

    /// Runs the code as far as it goes, turning what it sends into actions.
    fn run(&mut self) {
        while let Some(st) = &self.orch {
            if self.completion.is_some() || !st.is_running() || !st.ready() {
                return;
            }
            let execution = st.execution;
            let opts = self.options();
            let out = step(
                self.spec,
                opts,
                &self.instance,
                st,
                &mut Choices::new(Vec::new()),
            );
            let mut refused = out.refused.iter().peekable();
            for (i, m) in out.sent.iter().enumerate() {
                while refused.next_if(|r| **r == i).is_some() {
                    if self.python() {
                        // The SDK draws the id before it checks the lock rules.
                        self.next_id();
                    }
                }
                self.emit(m);
            }
            if self.python() && refused.next().is_some() {
                self.next_id();
            }
            if out.state.execution != execution {
                let Status::Running(Run::Start(input)) = &out.state.status else {
                    unreachable!("a new execution starts")
                };
                let mut c = Map::new();
                c.insert(
                    "orchestrationStatus".into(),
                    "ORCHESTRATION_STATUS_CONTINUED_AS_NEW".into(),
                );
                if let Some(t) = payload::text(input, self.style()) {
                    c.insert("result".into(), t.into());
                }
                self.complete(Json::Object(c));
                self.orch = Some(out.state);
                return;
            }
            match &out.state.status {
                Status::Completed(v) => {
                    let mut c = Map::new();
                    c.insert(
                        "orchestrationStatus".into(),
                        "ORCHESTRATION_STATUS_COMPLETED".into(),
                    );
                    if let Some(t) = payload::text(v, self.style()) {
                        c.insert("result".into(), t.into());
                    }
                    self.complete(Json::Object(c));
                }
                Status::Failed(err) => {
                    let details = self.failure_details(err);
                    self.fail_with(details);
                }
                Status::Running(_) => {}
            }
            self.orch = Some(out.state);
        }
    }

    /// The failure details of an uncaught DFL error: the Python SDK re-raises the exception
    /// of the failed task the error came from (wrapped), or a plain `Exception`.
    fn failure_details(&self, err: &Value) -> Json {
        let message = payload::error_message(err);
        if self.python() {
            if let Some((_, details)) = self.failures.iter().rev().find(|(v, _)| v == err) {
                return details.clone();
            }
            json!({"errorType": "builtins.Exception", "errorMessage": message})
        } else {
            json!({"errorType": "Error", "errorMessage": message})
        }
    }

    /// The orchestration ends with this completion (its id is the next one).
    fn complete(&mut self, mut body: Json) {
        let id = self.next_id();
        if let Some(obj) = body.as_object_mut() {
            obj.retain(|_, v| !v.is_null());
        }
        self.completion = Some(json!({"id": id, "completeOrchestration": body}));
    }

    /// The orchestration fails. The Python SDK drops every action not yet confirmed.
    fn fail_with(&mut self, details: Json) {
        if self.completion.is_some() {
            return;
        }
        if self.python() {
            self.pending.clear();
        }
        self.complete(json!({
            "orchestrationStatus": "ORCHESTRATION_STATUS_FAILED",
            "failureDetails": details,
        }));
    }

    fn request_id(&mut self) -> String {
        let n = self.uuids;
        self.uuids += 1;
        let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, PYTHON_UUID_NAMESPACE.as_bytes());
        let name = format!(
            "{}_{}_{n}",
            self.instance,
            format_timestamp_micros(self.clock)
        );
        uuid::Uuid::new_v5(&ns, name.as_bytes()).to_string()
    }

    fn payload(&self, v: &Value) -> Option<String> {
        payload::text(v, self.style())
    }

    /// One message the code sent becomes one action (or, for a release, one per entity).
    fn emit(&mut self, m: &Message) {
        match m {
            Message::Activity { task, name, input } => {
                let id = self.next_id();
                let mut body = Map::new();
                body.insert("name".into(), name.to_string().into());
                if let Some(t) = self.payload(input) {
                    body.insert("input".into(), t.into());
                }
                self.tasks.insert(id, Task::Activity(task.clone()));
                self.add(
                    id,
                    Made::Task {
                        name: name.clone(),
                        input: payload::to_json(input),
                    },
                    json!({"scheduleTask": body}),
                );
            }
            Message::Timer { to, seconds } => {
                let id = self.next_id();
                let due = self.clock.0.saturating_add(*seconds);
                let first = if self.python() {
                    due.min(self.clock.0.saturating_add(PYTHON_MAX_TIMER_SECONDS))
                } else {
                    due
                };
                self.timer(id, Task::Timer(to.clone(), due), first);
            }
            Message::Start {
                instance,
                name,
                input,
                parent,
            } => {
                let id = self.next_id();
                let instance = match self.profile {
                    Profile::Strict => instance.to_string(),
                    Profile::Python => format!("{}:{id:04x}", self.instance),
                };
                let mut body = Map::new();
                body.insert("instanceId".into(), instance.clone().into());
                body.insert("name".into(), name.to_string().into());
                if let Some(t) = self.payload(input) {
                    body.insert("input".into(), t.into());
                }
                self.tasks.insert(id, Task::Sub(parent.clone()));
                self.add(
                    id,
                    Made::Sub {
                        instance,
                        name: name.clone(),
                        input: payload::to_json(input),
                    },
                    json!({"createSubOrchestration": body}),
                );
            }
            Message::Entity { entity, request } => match request {
                EntityRequest::Op { op, arg, reply, .. } => {
                    let id = self.next_id();
                    let request_id = self.request_id();
                    let target = entity_text(entity);
                    let mut body = Map::new();
                    body.insert("requestId".into(), request_id.clone().into());
                    body.insert("operation".into(), op.to_string().into());
                    if let Some(t) = self.payload(arg) {
                        body.insert("input".into(), t.into());
                    }
                    body.insert("targetInstanceId".into(), target.clone().into());
                    let input = payload::to_json(arg);
                    match reply {
                        Some(future) => {
                            if self.python() && self.section.is_some() {
                                if let Some(i) = self.python_locks.iter().position(|t| *t == target)
                                {
                                    self.python_locks.remove(i);
                                }
                            }
                            body.insert("parentInstanceId".into(), self.instance.as_ref().into());
                            self.tasks.insert(
                                id,
                                Task::Call {
                                    future: future.clone(),
                                    op: op.clone(),
                                    target: target.clone(),
                                },
                            );
                            if !self.python() {
                                // The SDK learns a request id only from the recorded call.
                                self.requests.insert(request_id, id);
                            }
                            self.add(
                                id,
                                Made::Call {
                                    target,
                                    op: op.clone(),
                                    input,
                                },
                                json!({"sendEntityMessage": {"entityOperationCalled": body}}),
                            );
                        }
                        None => self.add(
                            id,
                            Made::Signal {
                                target,
                                op: op.clone(),
                                input,
                            },
                            json!({"sendEntityMessage": {"entityOperationSignaled": body}}),
                        ),
                    }
                }
                EntityRequest::Lock { lockset, reply, .. } => {
                    let id = self.next_id();
                    let section = self.request_id();
                    let mut set: Vec<String> = lockset.iter().map(entity_text).collect();
                    set.sort();
                    set.dedup();
                    self.tasks.insert(id, Task::Lock(reply.clone()));
                    self.sections.insert(section.clone(), id);
                    self.section = Some(section.clone());
                    self.python_locks = set.clone();
                    self.add(
                        id,
                        Made::Lock { set: set.clone() },
                        json!({"sendEntityMessage": {"entityLockRequested": {
                            "criticalSectionId": section,
                            "lockSet": set,
                            "parentInstanceId": self.instance.as_ref(),
                        }}}),
                    );
                }
                EntityRequest::Release { .. } => {
                    if self.python() {
                        // The SDK releases its whole list at the first release and leaves
                        // the section.
                        let Some(section) = self.section.take() else {
                            return;
                        };
                        for target in std::mem::take(&mut self.python_locks) {
                            self.unlock(&section, target);
                        }
                    } else {
                        let section = self.section.clone().unwrap_or_default();
                        self.unlock(&section, entity_text(entity));
                    }
                }
            },
            // A top-level orchestration has no parent to answer.
            Message::Response { .. } => {}
        }
    }

    /// One `createTimer` action firing at `fire_at`, answering `task` when it fires.
    fn timer(&mut self, id: i64, task: Task, fire_at: i64) {
        self.tasks.insert(id, task);
        self.add(
            id,
            Made::Timer,
            json!({"createTimer": {"fireAt": format_timestamp(fire_at)}}),
        );
    }

    /// One `entityUnlockSent` action.
    fn unlock(&mut self, section: &str, target: String) {
        let id = self.next_id();
        self.add(
            id,
            Made::Unlock {
                section: section.to_string(),
                target: target.clone(),
            },
            json!({"sendEntityMessage": {"entityUnlockSent": {
                "criticalSectionId": section,
                "parentInstanceId": self.instance.as_ref(),
                "targetInstanceId": target,
            }}}),
        );
    }

    fn add(&mut self, id: i64, made: Made, mut action: Json) {
        if let Some(obj) = action.as_object_mut() {
            obj.insert("id".into(), id.into());
        }
        self.pending.insert(
            id,
            Pending {
                made,
                action,
                warned: false,
            },
        );
    }

    /// A recorded `orchestratorCompleted` closes a turn: every action the code produced by
    /// then must have been recorded in it.
    fn rule_turn_end(&mut self, e: &Event) {
        if e.index >= self.past {
            return;
        }
        let missing: Vec<(i64, &'static str)> = self
            .pending
            .iter()
            .filter(|(_, p)| !p.warned)
            .map(|(id, p)| (*id, p.made.method()))
            .collect();
        if let Some((id, method)) = missing.first() {
            for (id, _) in &missing {
                if let Some(p) = self.pending.get_mut(id) {
                    p.warned = true;
                }
            }
            self.object(
                e,
                format!(
                    "the program made action {id} ({method}) but the turn this event closes does not record it"
                ),
            );
        }
    }

    /// `executionTerminated`: the orchestration ends as TERMINATED, its reason as result.
    fn rule_terminate(&mut self, reason: Option<String>) {
        let mut c = Map::new();
        c.insert(
            "orchestrationStatus".into(),
            "ORCHESTRATION_STATUS_TERMINATED".into(),
        );
        if let Some(r) = reason {
            c.insert("result".into(), r.into());
        }
        self.held = None;
        self.complete(Json::Object(c));
    }

    /// `executionResumed`: the held events are processed in order.
    fn rule_resume(&mut self) -> Result<(), WireError> {
        let Some(held) = self.held.take() else {
            if self.python() {
                self.fail_with(json!({
                    "errorType": STATE_ERROR,
                    "errorMessage": "Don't know how to handle event of type 'executionResumed'",
                }));
            }
            return Ok(());
        };
        for h in &held {
            self.event(h)?;
            if self.divergence.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// A recorded scheduling event confirms the action of the same id.
    fn rule_confirm(&mut self, e: &Event) -> Result<(), WireError> {
        let id = e.event_id;
        let recorded_method = match &e.kind {
            EventKind::TaskScheduled { .. } => "call_activity",
            EventKind::TimerCreated => "create_timer",
            EventKind::SubOrchestrationCreated { .. } => "call_sub_orchestrator",
            EventKind::EntityCalled { .. } => "call_entity",
            EventKind::EntitySignaled { .. } => "signal_entity",
            EventKind::EntityLockRequested { .. } => "lock_entities",
            EventKind::EventSent { .. } => "send_event",
            _ => "unlock_entities",
        };
        if let EventKind::EntityUnlockSent {
            critical_section,
            target,
        } = &e.kind
        {
            self.confirm_unlock(e, critical_section, target);
            return Ok(());
        }
        let Some(p) = self.pending.get(&id) else {
            let strict = format!(
                "the history records {recorded_method} with id {id}, which the program did not make"
            );
            let python = format!(
                "A previous execution called {recorded_method} with ID={id}, but the current execution doesn't have this action with this ID. This problem occurs when either the orchestration has non-deterministic logic or if the code was changed after an instance of this orchestration already started running."
            );
            self.diverge(e, strict, python);
            return Ok(());
        };
        let made = p.made.clone();
        let kind_ok = recorded_method == made.method();
        let python_kind_ok = kind_ok
            || matches!((&e.kind, &made), (EventKind::EventSent { instance_id, .. }, Made::Call { target, .. } | Made::Signal { target, .. }) if instance_id == target);
        if !python_kind_ok || (!kind_ok && !self.python()) {
            let strict = format!(
                "the history records {recorded_method} with id {id} where the program made {}",
                made.method()
            );
            let python = format!(
                "Failed to restore orchestration state due to a history mismatch: A previous execution called {recorded_method} with ID={id}, but the current execution is instead trying to call {} as part of rebuilding it's history. This kind of mismatch can happen if an orchestration has non-deterministic logic or if the code was changed after an instance of this orchestration already started running.",
                made.method()
            );
            self.diverge(e, strict, python);
            return Ok(());
        }
        if !kind_ok {
            self.object(
                e,
                format!(
                    "an eventSent cannot confirm the {} with id {id}",
                    made.method()
                ),
            );
        }
        let path = self.path(e);
        // The name decides for both profiles; the rest only for the strict one.
        let (recorded_name, made_name) = match (&e.kind, &made) {
            (EventKind::TaskScheduled { name, .. }, Made::Task { name: m, .. })
            | (EventKind::SubOrchestrationCreated { name, .. }, Made::Sub { name: m, .. }) => {
                (Some(name.as_str()), Some(m.as_ref()))
            }
            _ => (None, None),
        };
        if let (Some(r), Some(m)) = (recorded_name, made_name) {
            if r != m {
                let strict = format!(
                    "the history records {recorded_method} `{r}` with id {id} where the program calls `{m}`"
                );
                let python = format!(
                    "Failed to restore orchestration state due to a history mismatch: A previous execution called {recorded_method} with name='{r}' and sequence number {id}, but the current execution is instead trying to call {m} as part of rebuilding it's history. This kind of mismatch can happen if an orchestration has non-deterministic logic or if the code was changed after an instance of this orchestration already started running."
                );
                self.diverge(e, strict, python);
                return Ok(());
            }
        }
        let differences = self.differences(e, &made, &path)?;
        if !differences.is_empty() {
            self.object(
                e,
                format!(
                    "the history records {recorded_method} with id {id} with {}",
                    differences.join(", ")
                ),
            );
            if self.divergence.is_some() {
                return Ok(());
            }
        }
        if self.python() {
            // The SDK maps the recorded ids to the call and the lock.
            match &e.kind {
                EventKind::EntityCalled { request_id, .. } => {
                    self.requests.insert(request_id.clone(), id);
                }
                EventKind::EntityLockRequested {
                    critical_section, ..
                } => {
                    self.sections.insert(critical_section.clone(), id);
                }
                _ => {}
            }
        } else if let EventKind::EntityCalled { request_id, .. } = &e.kind {
            self.requests.insert(request_id.clone(), id);
        }
        self.pending.remove(&id);
        Ok(())
    }

    /// Which fields of a recorded scheduling event differ from what the program made, each as
    /// `field recorded (the program's: made)`.
    fn differences(&self, e: &Event, made: &Made, path: &str) -> Result<Vec<String>, WireError> {
        let parsed = |text: &Option<String>, field: &str| -> Result<Json, WireError> {
            match text.as_deref() {
                None => Ok(Json::Null),
                Some(t) if t.trim().is_empty() => Ok(Json::Null),
                Some(t) => serde_json::from_str(t).map_err(|err| WireError {
                    path: format!("{path}.{field}"),
                    message: format!("not JSON text: {err}"),
                }),
            }
        };
        let mut diffs = Vec::new();
        let mut differ = |field: &str, recorded: String, made: String| {
            if recorded != made {
                diffs.push(format!("{field} {recorded} (the program's: {made})"));
            }
        };
        match (&e.kind, made) {
            (EventKind::TaskScheduled { input, .. }, Made::Task { input: m, .. }) => {
                let recorded = parsed(input, "taskScheduled.input")?;
                differ("input", recorded.to_string(), m.to_string());
            }
            (
                EventKind::SubOrchestrationCreated {
                    instance_id, input, ..
                },
                Made::Sub {
                    instance, input: m, ..
                },
            ) => {
                differ("instanceId", instance_id.clone(), instance.clone());
                let recorded = parsed(input, "subOrchestrationInstanceCreated.input")?;
                differ("input", recorded.to_string(), m.to_string());
            }
            (
                EventKind::EntityCalled {
                    operation,
                    input,
                    target,
                    ..
                },
                Made::Call {
                    target: t,
                    op,
                    input: m,
                },
            )
            | (
                EventKind::EntitySignaled {
                    operation,
                    input,
                    target,
                    ..
                },
                Made::Signal {
                    target: t,
                    op,
                    input: m,
                },
            ) => {
                differ("target", target.clone(), t.clone());
                differ("operation", operation.clone(), op.to_string());
                let recorded = parsed(input, "input")?;
                differ("input", recorded.to_string(), m.to_string());
            }
            (EventKind::EntityLockRequested { lock_set, .. }, Made::Lock { set }) => {
                let mut recorded = lock_set.clone();
                recorded.sort();
                recorded.dedup();
                differ("lock set", recorded.join(", "), set.join(", "));
            }
            _ => {}
        }
        Ok(diffs)
    }

    /// `entityUnlockSent`: the Python SDK drops every pending release of that critical
    /// section; the strict profile wants the release of this entity, with this id.
    fn confirm_unlock(&mut self, e: &Event, section: &str, target: &str) {
        let id = e.event_id;
        let exact = matches!(
            self.pending.get(&id),
            Some(Pending { made: Made::Unlock { section: s, target: t }, .. }) if s == section && t == target
        );
        if self.python() {
            if !exact {
                self.object(
                    e,
                    format!("the program did not release {target} with id {id}"),
                );
            }
            self.pending
                .retain(|_, p| !matches!(&p.made, Made::Unlock { section: s, .. } if s == section));
        } else if exact {
            self.pending.remove(&id);
        } else {
            self.divergence = Some(Finding {
                event_index: e.index,
                message: format!(
                    "the history records a release of {target} with id {id}, which the program did not make"
                ),
            });
        }
    }

    /// Delivers a result (or failure) to the future it answers and runs the code on.
    fn deliver(&mut self, to: &FutureRef, result: Result<Value, Value>, grant: bool) {
        if let Some(st) = &mut self.orch {
            st.deliver(to, result, grant);
        }
        self.run();
    }

    /// A failure's payload for the code (its innermost message), remembering the details the
    /// Python SDK would raise if the code lets it through.
    fn failure_value(&mut self, failure: &Failure, wrapped: Json) -> Value {
        let v = Value::str(&failure.message);
        self.failures.push((v.clone(), wrapped));
        v
    }

    /// A result for an id no task has: the SDK ignores it, the semantics cannot produce it.
    fn unknown_result(&mut self, e: &Event, what: String) {
        if self.python() {
            self.object(e, what);
        } else {
            self.divergence = Some(Finding {
                event_index: e.index,
                message: what,
            });
        }
    }

    /// `taskCompleted`/`taskFailed`, `subOrchestrationInstanceCompleted`/`Failed`.
    fn rule_result(
        &mut self,
        e: &Event,
        task: i64,
        result: Option<&str>,
        failure: Option<&Failure>,
    ) -> Result<(), WireError> {
        let sub = matches!(
            e.kind,
            EventKind::SubOrchestrationCompleted { .. } | EventKind::SubOrchestrationFailed { .. }
        );
        let future = match (self.tasks.get(&task), sub) {
            (Some(Task::Activity(f)), false) | (Some(Task::Sub(f)), true) => f.clone(),
            _ => {
                let what = if sub { "sub-orchestration" } else { "activity" };
                self.unknown_result(
                    e,
                    format!("a result for {what} task {task}, which the program did not make"),
                );
                return Ok(());
            }
        };
        let path = self.path(e);
        let outcome = match failure {
            None => Ok(payload::parse(
                result,
                &format!("{path}.result"),
                self.spec,
            )?),
            Some(f) => {
                let message = if sub {
                    format!("Sub-orchestration task #{task} failed: {}", top_message(f))
                } else {
                    format!(
                        "{}: Activity task #{task} failed: {}",
                        self.instance,
                        top_message(f)
                    )
                };
                let wrapped = json!({
                    "errorType": "durabletask.task.TaskFailedError",
                    "errorMessage": message,
                    "innerFailure": f.details,
                });
                Err(self.failure_value(f, wrapped))
            }
        };
        self.deliver(&future, outcome, false);
        Ok(())
    }

    /// `timerFired`; the Python SDK sets the next chunk of a long timer instead.
    fn rule_timer_fired(&mut self, e: &Event, timer: i64, fire_at: Option<(i64, u32)>) {
        let Some(Task::Timer(future, due)) = self.tasks.get(&timer).cloned() else {
            self.unknown_result(
                e,
                format!("timer {timer} fired, which the program did not set"),
            );
            return;
        };
        let fired = fire_at.map_or(self.clock.0, |t| t.0);
        if self.python() && fired < due {
            let id = self.next_id();
            let next = due.min(self.clock.0.saturating_add(PYTHON_MAX_TIMER_SECONDS));
            self.timer(id, Task::Timer(future, due), next);
            return;
        }
        self.deliver(&future, Ok(Value::Unit), false);
    }

    /// `entityOperationCompleted`/`Failed`, found by the request id.
    fn rule_entity_result(
        &mut self,
        e: &Event,
        request_id: &str,
        output: Option<&str>,
        failure: Option<&Failure>,
    ) -> Result<(), WireError> {
        let task = self
            .requests
            .get(request_id)
            .and_then(|id| self.tasks.get(id))
            .cloned();
        let Some(Task::Call { future, op, target }) = task else {
            if self.python() {
                self.object(
                    e,
                    format!("a response to request {request_id}, which the program did not make"),
                );
                self.fail_with(json!({
                    "errorType": "builtins.RuntimeError",
                    "errorMessage": format!("Could not parse entity ID from request ID '{request_id}'"),
                }));
            } else {
                self.unknown_result(
                    e,
                    format!("a response to request {request_id}, which the program did not make"),
                );
            }
            return Ok(());
        };
        if self.python() && self.section.is_some() {
            self.python_locks.push(target.clone());
        }
        let path = self.path(e);
        let outcome = match failure {
            None => Ok(payload::parse(
                output,
                &format!("{path}.output"),
                self.spec,
            )?),
            Some(f) => {
                let message = format!(
                    "Operation '{op}' on entity '{target}' failed with error: {}",
                    top_message(f)
                );
                let wrapped = json!({
                    "errorType": "durabletask.task.TaskFailedError",
                    "errorMessage": message,
                    "innerFailure": {
                        "errorType": "durabletask.entities.entity_operation_failed_exception.EntityOperationFailedException",
                        "errorMessage": message,
                        "innerFailure": f.details,
                    },
                });
                Err(self.failure_value(f, wrapped))
            }
        };
        self.deliver(&future, outcome, false);
        Ok(())
    }

    /// `entityLockGranted`: the critical section is entered.
    fn rule_lock_granted(&mut self, e: &Event, section: &str) {
        let task = self
            .sections
            .get(section)
            .and_then(|id| self.tasks.get(id))
            .cloned();
        let Some(Task::Lock(future)) = task else {
            self.unknown_result(
                e,
                format!(
                    "a grant for critical section {section}, which the program did not request"
                ),
            );
            return;
        };
        self.deliver(&future, Ok(Value::Unit), true);
    }

    /// `eventRaised`: the oldest wait for the name takes it, or it is buffered.
    fn rule_event_raised(
        &mut self,
        e: &Event,
        name: &str,
        input: Option<&str>,
    ) -> Result<(), WireError> {
        let path = self.path(e);
        let value = payload::parse(input, &format!("{path}.eventRaised.input"), self.spec)?;
        let name: Arc<str> = if self.python() {
            Arc::from(durable_interpreter::casefold::casefold(name))
        } else {
            Arc::from(name)
        };
        if let Some(st) = &mut self.orch {
            st.deliver_event(&name, value);
        }
        self.run();
        Ok(())
    }
}

/// The outermost message of recorded failure details (what the Python SDK quotes).
fn top_message(f: &Failure) -> String {
    f.details
        .get("errorMessage")
        .and_then(Json::as_str)
        .map_or_else(|| f.message.clone(), str::to_string)
}
