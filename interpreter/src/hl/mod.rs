//! The high-level model HL (DESIGN.md §3): the fault-free semantics of Durable Functions,
//! the specification every execution model is checked against.
//!
//! A configuration is a set of components — orchestration instances, activities, entities —
//! and the index of the next client input. Each rule of docs/semantics.md is one function
//! below (`rule_*`); [`Hl::successors`] enumerates every enabled step.

pub mod activity;
pub mod choice;
pub mod entity;
pub mod message;
pub mod observe;
pub mod orchestration;

use crate::load::{Input, ScenarioDef, Spec};
use crate::value::{EntityId, Value};
use activity::{ActivityState, ActivityStep};
use choice::{enumerate, replay, Choices};
use entity::{servable, EntityState};
use imbl::{OrdMap, OrdSet, Vector};
use message::{EntityRequest, ExternCall, FutureRef, InstanceId, Message, Origin};
use orchestration::{OrchOptions, OrchState};
use std::fmt;
use std::sync::Arc;

/// The state of an entity in HL: what it stores and its request queue.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct EntityCfg {
    pub state: EntityState,
    pub queue: Vector<EntityRequest>,
}

/// An HL configuration: the components, and how many client inputs have arrived. Entities
/// appear once touched (initialized by the scenario or sent a request).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Config {
    pub next_input: u32,
    pub orchestrations: OrdMap<InstanceId, OrchState>,
    pub activities: OrdMap<FutureRef, ActivityState>,
    pub entities: OrdMap<EntityId, EntityCfg>,
    /// Durable timers set and not fired yet, by the future their firing answers.
    pub timers: OrdSet<FutureRef>,
}

/// Every extern call made so far, as a multiset of (service, argument). Part of every
/// model's state, not of the abstraction (DESIGN.md §4).
pub type ExternLog = OrdMap<(Arc<str>, Value), u32>;

pub fn log_externs(log: &mut ExternLog, calls: &[ExternCall]) {
    for c in calls {
        *log.entry((c.service.clone(), c.arg.clone())).or_insert(0) += 1;
    }
}

/// An HL state: the configuration and the extern log.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct HlState {
    pub config: Config,
    pub externs: ExternLog,
}

/// One line per component, for people (the Explorer UI, test failures).
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "client inputs arrived: {}", self.next_input)?;
        for (id, o) in &self.orchestrations {
            writeln!(f, "{id}: {o}")?;
        }
        for (task, a) in &self.activities {
            writeln!(f, "activity {task}: {a}")?;
        }
        for t in &self.timers {
            writeln!(f, "timer for {t}")?;
        }
        for (id, e) in &self.entities {
            write!(f, "{id} = {}", e.state)?;
            if !e.queue.is_empty() {
                let q: Vec<String> = e.queue.iter().map(ToString::to_string).collect();
                write!(f, "; queue: {}", q.join("; "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The extern log as people read it: `Pay(5) ×2`.
pub fn externs_text(log: &ExternLog) -> String {
    let calls: Vec<String> = log
        .iter()
        .map(|((service, arg), n)| {
            let call = format!("{service}{}", crate::value::args_text(arg));
            if *n == 1 {
                call
            } else {
                format!("{call} ×{n}")
            }
        })
        .collect();
    calls.join(", ")
}

impl fmt::Debug for HlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.config)?;
        if !self.externs.is_empty() {
            writeln!(f, "extern calls: {}", externs_text(&self.externs))?;
        }
        Ok(())
    }
}

/// The flags that change HL's steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HlOptions {
    pub lock_activities: bool,
    pub timeouts: bool,
}

/// One HL step. `choices` fixes the nondeterminism inside it (`choose`, extern replies).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    Input(u32),
    RunOrchestration {
        instance: InstanceId,
        choices: Vec<u32>,
    },
    RunActivity {
        task: FutureRef,
        choices: Vec<u32>,
    },
    Timeout {
        task: FutureRef,
    },
    FireTimer {
        to: FutureRef,
    },
    Serve {
        entity: EntityId,
        origin: Origin,
        choices: Vec<u32>,
    },
}

fn choices_text(c: &[u32]) -> String {
    if c.is_empty() {
        String::new()
    } else {
        format!(
            " choosing [{}]",
            c.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Input(i) => write!(f, "input #{i}"),
            Action::RunOrchestration { instance, choices } => {
                write!(f, "run {instance}{}", choices_text(choices))
            }
            Action::RunActivity { task, choices } => {
                write!(f, "run activity {task}{}", choices_text(choices))
            }
            Action::Timeout { task } => write!(f, "timeout activity {task}"),
            Action::FireTimer { to } => write!(f, "fire timer {to}"),
            Action::Serve {
                entity,
                origin,
                choices,
            } => write!(f, "serve {entity} from {origin}{}", choices_text(choices)),
        }
    }
}

/// HL for one scenario of a spec.
pub struct Hl {
    pub spec: Arc<Spec>,
    pub scenario: usize,
    pub opts: HlOptions,
}

impl Hl {
    pub fn new(spec: Arc<Spec>, scenario: usize, opts: HlOptions) -> Hl {
        Hl {
            spec,
            scenario,
            opts,
        }
    }

    pub fn scenario(&self) -> &ScenarioDef {
        &self.spec.scenarios[self.scenario]
    }

    fn orch_opts(&self) -> OrchOptions {
        OrchOptions {
            lock_activities: self.opts.lock_activities,
            unsorted_locks: false,
            ..OrchOptions::default()
        }
    }

    /// The initial configuration: the scenario's entities initialized, nothing else.
    pub fn init(&self) -> HlState {
        let mut config = Config::default();
        for (id, v) in &self.scenario().inits {
            config.entities.insert(
                id.clone(),
                EntityCfg {
                    state: EntityState {
                        value: v.clone(),
                        owner: None,
                    },
                    queue: Vector::new(),
                },
            );
        }
        HlState {
            config,
            externs: ExternLog::new(),
        }
    }

    /// Every enabled step and its successor, in a fixed order.
    pub fn successors(&self, s: &HlState, out: &mut Vec<(Action, HlState)>) {
        let c = &s.config;
        if (c.next_input as usize) < self.scenario().inputs.len() {
            out.push((Action::Input(c.next_input), self.rule_input(s)));
        }
        for (id, o) in c.orchestrations.iter().filter(|(_, o)| o.ready()) {
            for (choices, next) in enumerate(|ch| self.rule_orch_step(s, id, o, ch)) {
                let action = Action::RunOrchestration {
                    instance: id.clone(),
                    choices,
                };
                out.push((action, next));
            }
        }
        for (task, a) in &c.activities {
            for (choices, next) in enumerate(|ch| self.rule_activity_step(s, task, a, ch)) {
                let action = Action::RunActivity {
                    task: task.clone(),
                    choices,
                };
                out.push((action, next));
            }
            if self.opts.timeouts {
                let action = Action::Timeout { task: task.clone() };
                out.push((action, self.rule_activity_timeout(s, task)));
            }
        }
        for to in &c.timers {
            let action = Action::FireTimer { to: to.clone() };
            out.push((action, self.rule_timer_fire(s, to)));
        }
        for (id, e) in &c.entities {
            for i in servable(&e.state, &e.queue, true) {
                let origin = e.queue[i].origin();
                for (choices, next) in enumerate(|ch| self.rule_entity_serve(s, id, e, i, ch)) {
                    let action = Action::Serve {
                        entity: id.clone(),
                        origin: origin.clone(),
                        choices,
                    };
                    out.push((action, next));
                }
            }
        }
    }

    /// The successor of one given action, if it is enabled (for replaying traces).
    pub fn apply(&self, s: &HlState, action: &Action) -> Option<HlState> {
        let c = &s.config;
        match action {
            Action::Input(i) => (*i == c.next_input
                && (*i as usize) < self.scenario().inputs.len())
            .then(|| self.rule_input(s)),
            Action::RunOrchestration { instance, choices } => {
                let o = c.orchestrations.get(instance).filter(|o| o.ready())?;
                replay(choices, |ch| self.rule_orch_step(s, instance, o, ch))
            }
            Action::RunActivity { task, choices } => {
                let a = c.activities.get(task)?;
                replay(choices, |ch| self.rule_activity_step(s, task, a, ch))
            }
            Action::Timeout { task } => (self.opts.timeouts && c.activities.contains_key(task))
                .then(|| self.rule_activity_timeout(s, task)),
            Action::FireTimer { to } => c.timers.contains(to).then(|| self.rule_timer_fire(s, to)),
            Action::Serve {
                entity,
                origin,
                choices,
            } => {
                let e = c.entities.get(entity)?;
                let i = servable(&e.state, &e.queue, true)
                    .into_iter()
                    .find(|&i| e.queue[i].origin() == *origin)?;
                replay(choices, |ch| self.rule_entity_serve(s, entity, e, i, ch))
            }
        }
    }

    /// Client-Start, Client-Signal: the next client input arrives. Starting an existing
    /// instance id is answered `alreadyexists` and changes nothing.
    fn rule_input(&self, s: &HlState) -> HlState {
        let mut next = s.clone();
        let c = &mut next.config;
        let input = &self.scenario().inputs[c.next_input as usize];
        c.next_input += 1;
        match input {
            Input::Start {
                instance,
                orchestration,
                arg,
            } => {
                if !c.orchestrations.contains_key(instance) {
                    c.orchestrations.insert(
                        instance.clone(),
                        OrchState::new(orchestration.clone(), arg.clone()),
                    );
                }
            }
            Input::Signal { entity, op, arg } => {
                let request = EntityRequest::Op {
                    origin: Origin::Client,
                    op: op.clone(),
                    arg: arg.clone(),
                    reply: None,
                };
                self.enqueue(c, entity, request);
            }
            Input::Raise {
                instance,
                event,
                arg,
            } => {
                // Event-Deliver: an event for an absent or finished instance is dropped.
                if let Some(o) = c.orchestrations.get_mut(instance) {
                    o.deliver_event(event, arg.clone());
                }
            }
        }
        next
    }

    /// Orch-Step: a ready orchestration runs to its next effect point; what it sent is
    /// delivered (rule Send).
    fn rule_orch_step(
        &self,
        s: &HlState,
        id: &InstanceId,
        o: &OrchState,
        ch: &mut Choices,
    ) -> HlState {
        let step = orchestration::step(&self.spec, self.orch_opts(), id, o, ch);
        let mut next = s.clone();
        // Sub-Complete: a finished sub-orchestration sends its result and is removed.
        if step.state.is_finished_sub() {
            next.config.orchestrations.remove(id);
        } else {
            next.config.orchestrations.insert(id.clone(), step.state);
        }
        self.send(&mut next.config, step.sent);
        canonicalize(&mut next.config);
        next
    }

    /// Activity-Step: an activity runs to its next extern call (logged with its reply), or
    /// to its end; then its result resolves the caller's future (Activity-Complete).
    fn rule_activity_step(
        &self,
        s: &HlState,
        task: &FutureRef,
        a: &ActivityState,
        ch: &mut Choices,
    ) -> HlState {
        let (step, calls) = activity::step(&self.spec, a, ch);
        let mut next = s.clone();
        log_externs(&mut next.externs, &calls);
        match step {
            ActivityStep::Paused(a) => {
                next.config.activities.insert(task.clone(), a);
            }
            ActivityStep::Completed(result) => {
                next.config.activities.remove(task);
                self.send(
                    &mut next.config,
                    vec![Message::Response {
                        to: task.clone(),
                        result,
                        grant: false,
                    }],
                );
                canonicalize(&mut next.config);
            }
        }
        next
    }

    /// Activity-Timeout (with `--timeouts`): an activity not yet completed completes with the
    /// error "timeout"; the extern calls it made stay made.
    fn rule_activity_timeout(&self, s: &HlState, task: &FutureRef) -> HlState {
        let mut next = s.clone();
        next.config.activities.remove(task);
        self.send(
            &mut next.config,
            vec![Message::Response {
                to: task.clone(),
                result: Err(Value::str("timeout")),
                grant: false,
            }],
        );
        canonicalize(&mut next.config);
        next
    }

    /// Timer-Fire: a durable timer fires at any later step, in any order with other timers and
    /// deliveries; its future gets `()`.
    fn rule_timer_fire(&self, s: &HlState, to: &FutureRef) -> HlState {
        let mut next = s.clone();
        next.config.timers.remove(to);
        self.send(
            &mut next.config,
            vec![Message::Response {
                to: to.clone(),
                result: Ok(Value::Unit),
                grant: false,
            }],
        );
        canonicalize(&mut next.config);
        next
    }

    /// Entity-Op, Lock-Grant, Lock-Forward, Lock-Release: an entity serves request `i` of
    /// its queue (chosen by [`servable`]).
    fn rule_entity_serve(
        &self,
        s: &HlState,
        id: &EntityId,
        e: &EntityCfg,
        i: usize,
        ch: &mut Choices,
    ) -> HlState {
        let served = entity::serve(&self.spec, id, &e.state, &e.queue[i], ch);
        let mut next = s.clone();
        log_externs(&mut next.externs, &served.externs);
        let mut queue = e.queue.clone();
        queue.remove(i);
        next.config.entities.insert(
            id.clone(),
            EntityCfg {
                state: served.state,
                queue,
            },
        );
        self.send(&mut next.config, served.sent);
        canonicalize(&mut next.config);
        next
    }

    /// Send: messages reach their destinations at once. A call creates its activity; a
    /// request joins its entity's queue; a result resolves its future (rule Deliver).
    fn send(&self, c: &mut Config, sent: Vec<Message>) {
        for m in sent {
            match m {
                Message::Activity { task, name, input } => {
                    c.activities.insert(task, ActivityState::new(name, input));
                }
                Message::Entity { entity, request } => self.enqueue(c, &entity, request),
                Message::Response { to, result, grant } => {
                    if let Some(o) = c.orchestrations.get_mut(&to.instance) {
                        o.deliver(&to, result, grant);
                    }
                }
                Message::Start {
                    instance,
                    name,
                    input,
                    parent,
                } => {
                    c.orchestrations
                        .entry(instance)
                        .or_insert_with(|| OrchState::sub(name, input, parent));
                }
                Message::Timer { to, .. } => {
                    c.timers.insert(to);
                }
            }
        }
    }

    fn enqueue(&self, c: &mut Config, entity: &EntityId, request: EntityRequest) {
        let init = self.initial_state(entity);
        let e = c
            .entities
            .entry(entity.clone())
            .or_insert_with(|| EntityCfg {
                state: EntityState {
                    value: init,
                    owner: None,
                },
                queue: Vector::new(),
            });
        e.queue.push_back(request);
    }

    /// An untouched entity's state: its declaration's `init`.
    pub fn initial_state(&self, entity: &EntityId) -> Value {
        self.spec
            .entities
            .get(&entity.name)
            .map_or(Value::Unit, |e| e.init.clone())
    }
}

/// Canon-Execution (DESIGN.md §8.10): an execution number matters only to tell a result for
/// the current execution from one for an older execution still in flight. After every step,
/// each instance's current execution and the older ones with a message in flight (an activity
/// or a queued request carrying their future) are renumbered densely in order — the current
/// one becomes 0 when nothing older is in flight — so that continue-as-new loops do not make
/// the state space infinite, even while a stale message stays in flight.
pub fn canonicalize(c: &mut Config) {
    while let Some(plan) = next_renumbering(c) {
        let r = &plan;
        let orchestrations = std::mem::take(&mut c.orchestrations);
        for (id, mut o) in orchestrations {
            if id == r.instance {
                o.execution = r.execution(o.execution);
            }
            o.parent = o.parent.as_ref().map(|p| r.future(p));
            c.orchestrations.insert(r.id(&id), o);
        }
        let activities = std::mem::take(&mut c.activities);
        for (t, a) in activities {
            c.activities.insert(r.future(&t), a);
        }
        let entities = std::mem::take(&mut c.entities);
        for (id, mut e) in entities {
            e.queue = e.queue.iter().map(|q| r.request(q)).collect();
            e.state.owner = e.state.owner.as_ref().map(|o| r.id(o));
            c.entities.insert(id, e);
        }
        c.timers = c.timers.iter().map(|t| r.future(t)).collect();
    }
}

/// The first instance whose executions are not numbered densely, and how to renumber it.
fn next_renumbering(c: &Config) -> Option<message::Renumbering> {
    c.orchestrations.iter().find_map(|(id, o)| {
        let mine = |f: &FutureRef| f.instance == *id;
        let live = c
            .activities
            .keys()
            .chain(c.timers.iter())
            .chain(c.orchestrations.values().filter_map(|x| x.parent.as_ref()))
            .chain(
                c.entities
                    .values()
                    .flat_map(|e| e.queue.iter().filter_map(|q| q.future())),
            )
            .filter(|f| mine(f))
            .map(|f| f.execution);
        message::Renumbering::plan(id, o.execution, live)
    })
}
