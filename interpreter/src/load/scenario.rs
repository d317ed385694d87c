//! Scenarios (LANGUAGE.md §7): options, inputs evaluated to data, properties, expectations.

use super::lower::{property_name, ScenarioLowering};
use super::{Expectation, FunctionKind, Input, PropertyDef, ScenarioDef, ScenarioOptions};
use crate::code::Observer;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::*;
use crate::value::{EntityId, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The check kinds a violation can have, which `expect fail "CHECK"` names (CLI.md).
pub const CHECK_KINDS: [&str; 7] = [
    "always",
    "finally",
    "sometimes",
    "deadlock",
    "refinement",
    "replay-divergence",
    "equivalence",
];

/// The models `expect fail ... in MODEL` may name.
const MODELS: [&str; 3] = ["hl", "cs", "rr"];

pub(super) fn lower_scenario(
    sl: &mut ScenarioLowering<'_, '_, '_>,
    s: &Scenario,
) -> Option<ScenarioDef> {
    let options = lower_options(sl, &s.options);
    let instances: BTreeSet<String> = s
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Start { instance, .. } => Some(instance.name.clone()),
            _ => None,
        })
        .collect();
    let mut def = ScenarioDef {
        name: s.name.name.clone(),
        span: s.name.span,
        options,
        inits: Vec::new(),
        inputs: Vec::new(),
        properties: Vec::new(),
        expectations: Vec::new(),
    };
    let mut expect_pass: Option<Span> = None;
    let mut expect_fail: Option<Span> = None;
    for item in &s.items {
        match &item.kind {
            ItemKind::Init { entity, value } => {
                let Some(id) = entity_id(sl, entity) else {
                    continue;
                };
                let Some(v) = sl.eval(value, &format!("the initial state of {id}")) else {
                    continue;
                };
                if def.inits.iter().any(|(e, _)| *e == id) {
                    sl.error(Diagnostic::new(
                        format!("{id} is initialized twice"),
                        item.span,
                        "give each entity at most one `init`",
                    ));
                    continue;
                }
                def.inits.push((id, v));
            }
            ItemKind::Start {
                instance,
                orchestration,
                arg,
            } => {
                check_instance_name(sl, instance);
                match sl.function_kind(&orchestration.name) {
                    Some(FunctionKind::Orchestration) => {}
                    Some(kind) => {
                        sl.error(Diagnostic::new(
                            format!(
                                "`{}` is {}, not an orchestration",
                                orchestration.name,
                                kind.article()
                            ),
                            orchestration.span,
                            "`start` starts an orchestration",
                        ));
                        continue;
                    }
                    None => {
                        sl.error(Diagnostic::new(
                            format!("unknown orchestration `{}`", orchestration.name),
                            orchestration.span,
                            "no orchestration of this name is declared",
                        ));
                        continue;
                    }
                }
                let what = format!("the input of `start {}`", instance.name);
                if let Some(arg) = sl.eval(arg, &what) {
                    def.inputs.push(Input::Start {
                        instance: Arc::from(instance.name.as_str()),
                        orchestration: Arc::from(orchestration.name.as_str()),
                        arg,
                    });
                }
            }
            ItemKind::Signal { entity, op, arg } => {
                let Some(id) = entity_id(sl, entity) else {
                    continue;
                };
                let what = format!("the argument of `signal {id}.{}`", op.name);
                if let Some(arg) = sl.eval(arg, &what) {
                    def.inputs.push(Input::Signal {
                        entity: id,
                        op: Arc::from(op.name.as_str()),
                        arg,
                    });
                }
            }
            ItemKind::Raise {
                instance,
                event,
                arg,
                ..
            } => {
                if !instances.contains(&instance.name) {
                    sl.error(Diagnostic::new(
                        format!("unknown instance `{}`", instance.name),
                        instance.span,
                        "raise events to an instance this scenario starts",
                    ));
                    continue;
                }
                let what = format!("the payload of event `{}`", event.name);
                if let Some(arg) = sl.eval(arg, &what) {
                    def.inputs.push(Input::Raise {
                        instance: Arc::from(instance.name.as_str()),
                        event: Arc::from(event.name.as_str()),
                        arg,
                    });
                }
            }
            ItemKind::Property(kind, e) => {
                let code = sl.property(e, &instances);
                def.properties.push(PropertyDef {
                    kind: *kind,
                    code,
                    name: property_name(*kind, e),
                    span: item.span,
                });
            }
            ItemKind::ExpectPass => {
                expect_pass.get_or_insert(item.span);
                if def.expectations.contains(&Expectation::Pass) {
                    continue;
                }
                def.expectations.push(Expectation::Pass);
            }
            ItemKind::ExpectFail {
                check,
                check_span,
                model,
            } => {
                expect_fail.get_or_insert(item.span);
                let known = CHECK_KINDS
                    .iter()
                    .any(|k| check == k || check.starts_with(&format!("{k} ")));
                if !known {
                    sl.error(Diagnostic::new(
                        format!("unknown check {check:?}"),
                        *check_span,
                        format!(
                            "a check is one of {}, optionally followed by the property",
                            CHECK_KINDS.join(", ")
                        ),
                    ));
                    continue;
                }
                if let Some(m) = model {
                    if !MODELS.contains(&m.name.as_str()) {
                        sl.error(Diagnostic::new(
                            format!("unknown model `{}`", m.name),
                            m.span,
                            "the models are `hl`, `cs` and `rr`",
                        ));
                        continue;
                    }
                }
                def.expectations.push(Expectation::Fail {
                    check: check.clone(),
                    model: model.as_ref().map(|m| m.name.clone()),
                });
            }
        }
    }
    if let (Some(_), Some(fail)) = (expect_pass, expect_fail) {
        sl.error(Diagnostic::new(
            "`expect pass` and `expect fail` in one scenario",
            fail,
            "a scenario expects either a pass or some failures",
        ));
    }
    if def.expectations.is_empty() {
        def.expectations.push(Expectation::Pass);
    }
    Some(def)
}

fn lower_options(
    sl: &mut ScenarioLowering<'_, '_, '_>,
    options: &[ScenarioOption],
) -> ScenarioOptions {
    let mut out = ScenarioOptions::default();
    let mut seen: Vec<std::mem::Discriminant<OptionKind>> = Vec::new();
    for o in options {
        let d = std::mem::discriminant(&o.kind);
        if seen.contains(&d) {
            sl.error(Diagnostic::new(
                format!("scenario option `{}` given twice", option_name(o.kind)),
                o.span,
                "give each option once",
            ));
            continue;
        }
        seen.push(d);
        match o.kind {
            OptionKind::AllowNondeterminism => out.allow_nondeterminism = true,
            OptionKind::LockActivities => out.lock_activities = true,
            OptionKind::Timeouts => out.timeouts = true,
            OptionKind::Crashes(n) => out.crashes = Some(n),
            OptionKind::Duplicates(n) => out.duplicates = Some(n),
            OptionKind::LostCommits(n) => out.lost_commits = Some(n),
            OptionKind::Batch(m) => out.batch = Some(m),
        }
    }
    out
}

fn option_name(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::AllowNondeterminism => "allow_nondeterminism",
        OptionKind::LockActivities => "lock_activities",
        OptionKind::Timeouts => "timeouts",
        OptionKind::Crashes(_) => "crashes",
        OptionKind::Duplicates(_) => "duplicates",
        OptionKind::LostCommits(_) => "lost_commits",
        OptionKind::Batch(_) => "batch",
    }
}

fn check_instance_name(sl: &mut ScenarioLowering<'_, '_, '_>, instance: &Ident) {
    if Builtin::from_name(&instance.name).is_some() || Observer::from_name(&instance.name).is_some()
    {
        sl.error(Diagnostic::new(
            format!("an instance cannot be named `{}`", instance.name),
            instance.span,
            "builtin and observer names are reserved in properties",
        ));
    }
}

fn entity_id(sl: &mut ScenarioLowering<'_, '_, '_>, r: &EntityRef) -> Option<EntityId> {
    match sl.function_kind(&r.name.name) {
        Some(FunctionKind::Entity) => {}
        Some(kind) => {
            sl.error(Diagnostic::new(
                format!("`{}` is {}, not an entity", r.name.name, kind.article()),
                r.name.span,
                "expected an entity id `Name(key)`",
            ));
            return None;
        }
        None => {
            sl.error(Diagnostic::new(
                format!("unknown entity `{}`", r.name.name),
                r.name.span,
                "no entity of this name is declared",
            ));
            return None;
        }
    }
    let key = sl.eval(&r.key, &format!("the key of `{}`", r.name.name))?;
    match Value::entity(Arc::from(r.name.name.as_str()), key) {
        Ok(Value::Entity(id)) => Some((*id).clone()),
        _ => {
            sl.error(Diagnostic::new(
                format!(
                    "the key of `{}` is nested too deeply for an entity id",
                    r.name.name
                ),
                r.key.span,
                format!(
                    "data nests at most {} levels deep",
                    crate::value::MAX_VALUE_DEPTH
                ),
            ));
            None
        }
    }
}
