//! Traces as timelines a person can follow: one column per instance, entity and activity, one
//! row per step, each step's effects (what it sent to whom, what it started, completed, locked
//! or released) computed by comparing the abstractions before and after it — the same for
//! every protocol.

use durable_interpreter::hl::orchestration::Status;
use durable_interpreter::hl::{Config, ExternLog};
use durable_interpreter::value::args_text;
use durable_model::protocol::Protocol;
use serde::{Deserialize, Serialize};

/// Something a step did that is visible in the abstraction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// The lane it reaches, for a message.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub to: Option<String>,
    pub text: String,
}

/// One step of a trace, as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub action: String,
    /// For people: replay follows `action` only.
    #[serde(default)]
    pub lane: String,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

/// Why a trace does not re-execute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// 1-based.
    pub step: usize,
    pub action: String,
}

/// Re-executes named steps from the initial state: the views of the steps and the final
/// state, or the first step that is not enabled.
pub fn follow<P: Protocol>(p: &P, steps: &[String]) -> Result<(Vec<StepView>, P::State), Mismatch> {
    let mut state = p.init();
    let mut views = Vec::with_capacity(steps.len());
    for (i, name) in steps.iter().enumerate() {
        let Some((action, next)) = p.step_named(&state, name) else {
            return Err(Mismatch {
                step: i + 1,
                action: name.clone(),
            });
        };
        views.push(view(p, &state, &action, &next));
        state = next;
    }
    Ok((views, state))
}

/// The view of one step.
pub fn view<P: Protocol>(
    p: &P,
    before: &P::State,
    action: &P::Action,
    after: &P::State,
) -> StepView {
    StepView {
        action: action.to_string(),
        lane: p.lane(before, action),
        effects: effects(
            &p.abstraction(before),
            &p.abstraction(after),
            p.externs(before),
            p.externs(after),
        ),
    }
}

fn status_text(s: &Status) -> Option<String> {
    match s {
        Status::Completed(v) => Some(format!("completed {v}")),
        Status::Failed(e) => Some(format!("failed {e}")),
        Status::Running(_) => None,
    }
}

/// What changed between two configurations, as effects.
pub fn effects(
    before: &Config,
    after: &Config,
    ext_before: &ExternLog,
    ext_after: &ExternLog,
) -> Vec<Effect> {
    let mut out = Vec::new();
    let mut say = |to: Option<String>, text: String| out.push(Effect { to, text });
    for (id, o) in &after.orchestrations {
        match before.orchestrations.get(id) {
            None => match &o.parent {
                Some(p) => say(
                    Some(id.to_string()),
                    format!(
                        "{id} started: {} (sub-orchestration of {})",
                        o.name, p.instance
                    ),
                ),
                None => say(None, format!("{id} started: {}", o.name)),
            },
            Some(b) => {
                if o.execution != b.execution && o.is_running() {
                    say(None, format!("{id} continued as new"));
                }
                if b.status != o.status {
                    if let Some(t) = status_text(&o.status) {
                        say(None, format!("{id} {t}"));
                    }
                }
                for (n, r) in o
                    .resolved
                    .iter()
                    .filter(|(n, _)| !b.resolved.contains_key(*n))
                {
                    let text = match r {
                        Ok(v) => format!("{id} receives {v} (future {n})"),
                        Err(e) => format!("{id} receives error {e} (future {n})"),
                    };
                    say(Some(id.to_string()), text);
                }
            }
        }
    }
    for (task, a) in &after.activities {
        if !before.activities.contains_key(task) {
            let input = match &a.run {
                durable_interpreter::hl::activity::ActivityRun::Start(v) => args_text(v),
                _ => "(..)".into(),
            };
            say(
                Some(format!("activity {task}")),
                format!("run {}{input}", a.name),
            );
        }
    }
    for (id, o) in &before.orchestrations {
        if o.parent.is_some() && !after.orchestrations.contains_key(id) {
            say(None, format!("{id} finished and removed"));
        }
    }
    for task in before.activities.keys() {
        if !after.activities.contains_key(task) {
            say(None, format!("activity {task} done"));
        }
    }
    for t in after.timers.iter().filter(|t| !before.timers.contains(*t)) {
        say(None, format!("timer set for {t}"));
    }
    for t in before.timers.iter().filter(|t| !after.timers.contains(*t)) {
        say(Some(t.instance.to_string()), format!("timer {t} fired"));
    }
    for (id, e) in &after.entities {
        let (old_queue, old_state) = match before.entities.get(id) {
            Some(b) => (b.queue.clone(), Some(&b.state)),
            None => (Default::default(), None),
        };
        let mut remaining: Vec<_> = old_queue.iter().collect();
        for r in &e.queue {
            match remaining.iter().position(|x| *x == r) {
                Some(i) => {
                    remaining.remove(i);
                }
                None => say(Some(id.to_string()), format!("{id} gets {r}")),
            }
        }
        if let Some(old) = old_state {
            if old.value != e.state.value {
                say(None, format!("{id} = {}", e.state.value));
            }
            match (&old.owner, &e.state.owner) {
                (None, Some(o)) => say(None, format!("{id} locked by {o}")),
                (Some(o), None) => say(None, format!("{id} released by {o}")),
                _ => {}
            }
        }
    }
    for ((service, arg), n) in ext_after {
        let old = ext_before
            .get(&(service.clone(), arg.clone()))
            .copied()
            .unwrap_or(0);
        for _ in old..*n {
            say(None, format!("extern {service}{} called", args_text(arg)));
        }
    }
    out
}

/// The lanes of a timeline, in order of first appearance.
pub fn lanes(views: &[StepView]) -> Vec<String> {
    let mut lanes: Vec<String> = Vec::new();
    for v in views {
        for lane in std::iter::once(&v.lane).chain(v.effects.iter().filter_map(|e| e.to.as_ref())) {
            if !lanes.contains(lane) {
                lanes.push(lane.clone());
            }
        }
    }
    lanes
}

const CELL: usize = 36;

fn fit(s: &str) -> String {
    format!("{s:<CELL$}")
}

/// Splits a cell's text into lines of at most `CELL` characters, at spaces where it can: the
/// first line starts with `first`, the others with `rest`.
fn wrap(text: &str, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let width = line.chars().count() + usize::from(!empty) + word.chars().count();
        if !empty && width > CELL {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
        while line.chars().count() > CELL {
            let head: String = line.chars().take(CELL).collect();
            let tail: String = line.chars().skip(CELL).collect();
            lines.push(head);
            line = format!("{rest}{tail}");
        }
    }
    if !empty {
        lines.push(line);
    }
    lines
}

/// A step's text without its lane, which its column already names.
fn short_action(action: &str, lane: &str) -> String {
    action
        .replacen(&format!(" on {lane}"), "", 1)
        .replacen(&format!(" {lane}"), "", 1)
}

/// The timeline as text: one column per lane, one row per step; the acting lane shows the
/// step and its effects; `←` marks where a message lands.
pub fn render(views: &[StepView]) -> String {
    let lanes = lanes(views);
    let mut out = String::new();
    let header: Vec<String> = lanes.iter().map(|l| fit(l)).collect();
    out.push_str(&format!(
        "{:>4} | {}\n",
        "step",
        header.join(" | ").trim_end()
    ));
    out.push_str(&format!("{}\n", "-".repeat(7 + lanes.len() * (CELL + 3))));
    for (i, v) in views.iter().enumerate() {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let col = |lane: &str| lanes.iter().position(|l| l == lane).unwrap_or(0);
        let put = |rows: &mut Vec<Vec<String>>, c: usize, lines: Vec<String>| {
            let first = rows
                .iter()
                .position(|r| r[c].is_empty())
                .unwrap_or(rows.len());
            for (row, line) in (first..).zip(lines) {
                while row >= rows.len() {
                    rows.push(vec![String::new(); lanes.len()]);
                }
                rows[row][c] = line;
            }
        };
        let c = col(&v.lane);
        put(
            &mut rows,
            c,
            wrap(&short_action(&v.action, &v.lane), "", "  "),
        );
        for e in &v.effects {
            put(&mut rows, c, wrap(&e.text, "  ", "    "));
            if let Some(to) = &e.to {
                let t = col(to);
                if t != c {
                    put(&mut rows, t, vec![format!("← from {}", v.lane)]);
                }
            }
        }
        for (k, r) in rows.iter().enumerate() {
            let label = if k == 0 {
                format!("{}", i + 1)
            } else {
                String::new()
            };
            let cells: Vec<String> = r.iter().map(|c| fit(c)).collect();
            out.push_str(&format!("{label:>4} | {}\n", cells.join(" | ").trim_end()));
        }
    }
    out
}
