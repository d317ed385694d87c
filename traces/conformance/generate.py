#!/usr/bin/env python3
"""Conformance vectors for `durable conform`, produced by the real Durable Task Python SDK.

Generated with durabletask==1.12.0 (protobuf==7.36.2, grpcio==1.85.1) on Python 3.11.7;
requirements.txt pins the same versions. Run:

    python3.11 -m venv /tmp/dtvenv
    /tmp/dtvenv/bin/pip install -r traces/conformance/requirements.txt
    /tmp/dtvenv/bin/python traces/conformance/generate.py

Each vector is one orchestrator written twice: in Python (run by the SDK) and in DFL
(`program.dfl`, the program `durable conform` replays). The script plays the part of the
backend: it builds the history turn by turn the way the SDK's own in-memory backend
(durabletask/testing/in_memory_backend.py) and the sidecars do -- turn 1 delivers
`orchestratorStarted` + `executionStarted`; after each turn the delivered events move to
`pastEvents`, followed by one event per action the SDK returned (`taskScheduled`,
`timerCreated`, `subOrchestrationInstanceCreated`, `eventSent`, `entityOperationCalled`,
... with `eventId` = the action's id) and `orchestratorCompleted`; a later turn delivers
`orchestratorStarted` + the new results. Continue-as-new starts a fresh history with
`orchestratorStarted` + `executionStarted` (+ the carried-over events). Non-determinism
vectors tamper with the recorded history on purpose (described in index.json).

For every turn it runs `durabletask.worker._OrchestrationExecutor.execute(instance_id,
pastEvents, newEvents)` and writes <vector>/turn-<k>.json:
    {"request": <OrchestratorRequest as protobuf JSON>, "sdk": {"actions": [...]}}
or, when `execute` itself raised, {"sdk": {"error": {"type": ..., "message": ...}}}.
Every `stackTrace` value the SDK emits (it contains file paths and line numbers) is replaced
by STACK_TRACE_PLACEHOLDER so that the output does not depend on where things are installed.
Everything else is written exactly as the SDK produced it. Timestamps and instance ids are
fixed, JSON keys are sorted, indent is 2, files end in a newline: running the script twice
gives the same bytes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from datetime import datetime, timedelta
from typing import Any, Callable

from google.protobuf import json_format, timestamp_pb2, wrappers_pb2

import durabletask
from durabletask import task, worker
from durabletask.entities import EntityInstanceId
import durabletask.internal.orchestrator_service_pb2 as pb
from durabletask.internal.helpers import get_qualified_name
from durabletask.serialization import JsonDataConverter

SDK_VERSION = "1.12.0"
OUT = os.path.dirname(os.path.abspath(__file__))
BASE = datetime(2024, 1, 1, 0, 0, 0)  # naive UTC, as the SDK uses; 1704067200 s since the epoch
EPOCH = datetime(1970, 1, 1)
STACK_TRACE_PLACEHOLDER = "<stack trace removed by generate.py>"
CONVERTER = JsonDataConverter()

LOGGER = logging.getLogger("durable-conformance")
LOGGER.setLevel(logging.CRITICAL)
LOGGER.propagate = False
LOGGER.addHandler(logging.NullHandler())


def enc(value: Any) -> str | None:
    """Encode a value the way the SDK (and a Python activity worker) does: json.dumps."""
    return CONVERTER.serialize(value)


def sv(text: str | None) -> wrappers_pb2.StringValue | None:
    return None if text is None else wrappers_pb2.StringValue(value=text)


def ts(at: datetime) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromDatetime(at)
    return t


def epoch_seconds(dt: datetime) -> int:
    return (dt - EPOCH) // timedelta(seconds=1)


# --------------------------------------------------------------------------------------------
# History events (what a backend delivers)
# --------------------------------------------------------------------------------------------


def ev(at: datetime, event_id: int = -1, **kind: Any) -> pb.HistoryEvent:
    return pb.HistoryEvent(eventId=event_id, timestamp=ts(at), **kind)


def failure(message: str, error_type: str = "builtins.Exception") -> pb.TaskFailureDetails:
    return pb.TaskFailureDetails(errorType=error_type, errorMessage=message)


class E:
    """Constructors for delivered events; each returns a function of the turn's timestamp."""

    @staticmethod
    def task_completed(action: pb.OrchestratorAction | int, value: Any = None, *, raw: str | None = None):
        tid = action if isinstance(action, int) else action.id
        text = raw if raw is not None else enc(value)
        return lambda at: ev(at, taskCompleted=pb.TaskCompletedEvent(taskScheduledId=tid, result=sv(text)))

    @staticmethod
    def task_failed(action: pb.OrchestratorAction | int, message: str, error_type: str = "builtins.Exception"):
        tid = action if isinstance(action, int) else action.id
        return lambda at: ev(at, taskFailed=pb.TaskFailedEvent(
            taskScheduledId=tid, failureDetails=failure(message, error_type)))

    @staticmethod
    def timer_fired(action: pb.OrchestratorAction):
        fire_at = action.createTimer.fireAt
        return lambda at: ev(at, timerFired=pb.TimerFiredEvent(timerId=action.id, fireAt=fire_at))

    @staticmethod
    def timer_fired_id(timer_id: int, fire_at: datetime):
        return lambda at: ev(at, timerFired=pb.TimerFiredEvent(timerId=timer_id, fireAt=ts(fire_at)))

    @staticmethod
    def event_raised(name: str, value: Any = None):
        return lambda at: ev(at, eventRaised=pb.EventRaisedEvent(name=name, input=sv(enc(value))))

    @staticmethod
    def sub_completed(action: pb.OrchestratorAction, value: Any = None):
        return lambda at: ev(at, subOrchestrationInstanceCompleted=pb.SubOrchestrationInstanceCompletedEvent(
            taskScheduledId=action.id, result=sv(enc(value))))

    @staticmethod
    def sub_failed(action: pb.OrchestratorAction, message: str, error_type: str = "builtins.Exception"):
        return lambda at: ev(at, subOrchestrationInstanceFailed=pb.SubOrchestrationInstanceFailedEvent(
            taskScheduledId=action.id, failureDetails=failure(message, error_type)))

    @staticmethod
    def entity_completed(action: pb.OrchestratorAction, value: Any = None):
        rid = action.sendEntityMessage.entityOperationCalled.requestId
        return lambda at: ev(at, entityOperationCompleted=pb.EntityOperationCompletedEvent(
            requestId=rid, output=sv(enc(value))))

    @staticmethod
    def entity_failed(action: pb.OrchestratorAction, message: str, error_type: str = "builtins.Exception"):
        rid = action.sendEntityMessage.entityOperationCalled.requestId
        return lambda at: ev(at, entityOperationFailed=pb.EntityOperationFailedEvent(
            requestId=rid, failureDetails=failure(message, error_type)))

    @staticmethod
    def lock_granted(action: pb.OrchestratorAction):
        csid = action.sendEntityMessage.entityLockRequested.criticalSectionId
        return lambda at: ev(at, entityLockGranted=pb.EntityLockGrantedEvent(criticalSectionId=csid))

    @staticmethod
    def terminated(value: Any = None):
        return lambda at: ev(at, executionTerminated=pb.ExecutionTerminatedEvent(input=sv(enc(value))))

    @staticmethod
    def suspended():
        return lambda at: ev(at, executionSuspended=pb.ExecutionSuspendedEvent())

    @staticmethod
    def resumed():
        return lambda at: ev(at, executionResumed=pb.ExecutionResumedEvent())

    @staticmethod
    def generic(data: str):
        return lambda at: ev(at, genericEvent=pb.GenericEvent(data=sv(data)))

    @staticmethod
    def history_state():
        return lambda at: ev(at, historyState=pb.HistoryStateEvent())

    @staticmethod
    def event_sent(event_id: int, instance_id: str, name: str, value: Any = None):
        return lambda at: ev(at, event_id, eventSent=pb.EventSentEvent(
            instanceId=instance_id, name=name, input=sv(enc(value))))

    @staticmethod
    def task_scheduled(event_id: int, name: str, value: Any = None):
        return lambda at: ev(at, event_id, taskScheduled=pb.TaskScheduledEvent(name=name, input=sv(enc(value))))


def recorded(action: pb.OrchestratorAction, at: datetime) -> list[pb.HistoryEvent]:
    """The history event(s) a backend appends for an action the orchestrator returned."""
    kind = action.WhichOneof("orchestratorActionType")
    if kind == "scheduleTask":
        a = action.scheduleTask
        e = pb.TaskScheduledEvent(name=a.name)
        if a.HasField("input"):
            e.input.CopyFrom(a.input)
        if a.HasField("version"):
            e.version.CopyFrom(a.version)
        return [ev(at, action.id, taskScheduled=e)]
    if kind == "createTimer":
        return [ev(at, action.id, timerCreated=pb.TimerCreatedEvent(fireAt=action.createTimer.fireAt))]
    if kind == "createSubOrchestration":
        a = action.createSubOrchestration
        e = pb.SubOrchestrationInstanceCreatedEvent(instanceId=a.instanceId, name=a.name)
        if a.HasField("input"):
            e.input.CopyFrom(a.input)
        if a.HasField("version"):
            e.version.CopyFrom(a.version)
        return [ev(at, action.id, subOrchestrationInstanceCreated=e)]
    if kind == "sendEvent":
        a = action.sendEvent
        e = pb.EventSentEvent(instanceId=a.instance.instanceId, name=a.name)
        if a.HasField("data"):
            e.input.CopyFrom(a.data)
        return [ev(at, action.id, eventSent=e)]
    if kind == "sendEntityMessage":
        m = action.sendEntityMessage
        which = m.WhichOneof("EntityMessageType")
        return [ev(at, action.id, **{which: getattr(m, which)})]
    if kind == "completeOrchestration":
        return []
    raise ValueError(f"unexpected action {kind}")


TERMINAL = {
    pb.ORCHESTRATION_STATUS_COMPLETED,
    pb.ORCHESTRATION_STATUS_FAILED,
    pb.ORCHESTRATION_STATUS_TERMINATED,
}


# --------------------------------------------------------------------------------------------
# The driver: one vector, turn by turn
# --------------------------------------------------------------------------------------------


def normalize(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: (STACK_TRACE_PLACEHOLDER if k == "stackTrace" else normalize(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [normalize(v) for v in obj]
    return obj


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


class Vector:
    def __init__(self, name: str, orchestration: str, instance_id: str, covers: str, dfl: str,
                 orchestrators: dict[str, Callable[..., Any]]):
        self.name = name
        self.orchestration = orchestration
        self.instance_id = instance_id
        self.covers = covers
        self.dfl = dfl
        self.registry = worker._Registry()
        for oname, fn in orchestrators.items():
            self.registry.add_named_orchestrator(oname, fn)
        self.past: list[pb.HistoryEvent] = []
        self.turns: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.pending_start: list[pb.HistoryEvent] | None = None  # after continue-as-new
        self.clock = BASE
        self.finished = False
        self.last_status: str | None = None

    # -- turns ---------------------------------------------------------------------------------

    def start(self, value: Any = None, *, extra: list = (), order: str = "started-first",
              at: datetime | None = None) -> list[pb.OrchestratorAction]:
        """Turn 1: orchestratorStarted + executionStarted (+ extra events)."""
        at = at or BASE
        es = ev(at, executionStarted=pb.ExecutionStartedEvent(
            name=self.orchestration, input=sv(enc(value)),
            orchestrationInstance=pb.OrchestrationInstance(instanceId=self.instance_id)))
        os_ = ev(at, orchestratorStarted=pb.OrchestratorStartedEvent())
        first = [os_, es] if order == "started-first" else [es, os_]
        return self._run(first + [f(at) for f in extra], at)

    def turn(self, events: list = (), *, at: datetime | None = None,
             orchestrator_started: bool = True) -> list[pb.OrchestratorAction]:
        """A later turn: orchestratorStarted + the delivered events."""
        at = at or self.clock + timedelta(seconds=60)
        new = [ev(at, orchestratorStarted=pb.OrchestratorStartedEvent())] if orchestrator_started else []
        if self.pending_start is not None:
            new += [e for e in self.pending_start]
            for e in new[1:]:
                e.timestamp.CopyFrom(ts(at))
            self.pending_start = None
        return self._run(new + [f(at) for f in events], at)

    def _run(self, new_events: list[pb.HistoryEvent], at: datetime) -> list[pb.OrchestratorAction]:
        assert not self.finished, f"{self.name}: turn after the orchestration finished"
        self.clock = at
        request = pb.OrchestratorRequest(instanceId=self.instance_id, pastEvents=self.past, newEvents=new_events)
        req_json = json_format.MessageToDict(request)
        req_json.setdefault("pastEvents", [])
        req_json.setdefault("newEvents", [])
        # the JSON must parse back to the same request
        back = json_format.ParseDict(req_json, pb.OrchestratorRequest())
        assert back == request, f"{self.name}: request does not round-trip"

        executor = worker._OrchestrationExecutor(self.registry, LOGGER, CONVERTER)
        try:
            result = executor.execute(self.instance_id, list(request.pastEvents), list(request.newEvents))
        except Exception as ex:  # execute() itself raised: record it, the turn has no actions
            sdk = {"error": {"type": get_qualified_name(type(ex)), "message": str(ex)}}
            self.turns.append({"request": req_json, "sdk": sdk})
            self.last_status = "raised"
            self.finished = True
            return []
        actions = list(result.actions)
        sdk = {"actions": normalize([json_format.MessageToDict(a) for a in actions])}
        self.turns.append({"request": req_json, "sdk": sdk})

        # commit: the delivered events, then one event per action, then orchestratorCompleted
        history = list(self.past) + list(new_events)
        completion = None
        for a in actions:
            history += recorded(a, at)
            if a.HasField("completeOrchestration"):
                completion = a
        history.append(ev(at, orchestratorCompleted=pb.OrchestratorCompletedEvent()))
        self.past = history
        self.last_status = "running"
        if completion is not None:
            c = completion.completeOrchestration
            self.last_status = pb.OrchestrationStatus.Name(c.orchestrationStatus)
            if c.orchestrationStatus in TERMINAL:
                self.finished = True
            elif c.orchestrationStatus == pb.ORCHESTRATION_STATUS_CONTINUED_AS_NEW:
                # a new execution: fresh history; next turn gets executionStarted + carryover events
                self.past = []
                es = ev(at, executionStarted=pb.ExecutionStartedEvent(
                    name=self.orchestration, input=c.result if c.HasField("result") else None,
                    orchestrationInstance=pb.OrchestrationInstance(instanceId=self.instance_id)))
                self.pending_start = [es] + [pb.HistoryEvent.FromString(e.SerializeToString())
                                             for e in c.carryoverEvents]
        return actions

    # -- history tampering (non-determinism vectors) ------------------------------------------

    def edit_past(self, fn: Callable[[list[pb.HistoryEvent]], list[pb.HistoryEvent]], note: str) -> None:
        self.past = fn(list(self.past))
        self.notes.append(note)

    # -- output ------------------------------------------------------------------------------

    def write(self) -> dict[str, Any]:
        d = os.path.join(OUT, self.name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        with open(os.path.join(d, "program.dfl"), "w", encoding="utf-8", newline="\n") as f:
            f.write(self.dfl.lstrip("\n"))
        for k, t in enumerate(self.turns, start=1):
            with open(os.path.join(d, f"turn-{k}.json"), "w", encoding="utf-8", newline="\n") as f:
                f.write(dump(t))
        last = self.turns[-1]["sdk"]
        return {
            "name": self.name,
            "orchestration": self.orchestration,
            "instanceId": self.instance_id,
            "covers": self.covers,
            "historyEdits": self.notes,
            "turns": len(self.turns),
            "sdkRaised": any("error" in t["sdk"] for t in self.turns),
            "finalStatus": self.last_status,
            "lastActionIds": [a.get("id") for a in last.get("actions", [])],
        }


VECTORS: list[Callable[[], Vector]] = []


def vector(fn: Callable[[], Vector]) -> Callable[[], Vector]:
    VECTORS.append(fn)
    return fn


def ent(name: str, key: str) -> EntityInstanceId:
    return EntityInstanceId(name, key)


# ============================================================================================
# The orchestrators (Python) and their DFL equivalents
# ============================================================================================

# ---- chaining --------------------------------------------------------------------------------

CHAIN_DFL = """
// Function chaining: each activity's result is the next one's input.

activity Inc(x) = x + 1

activity Double(x) = x * 2

activity Show(x) = "v=" ++ show(x)

orchestration Chain(x) =
  let a = await call Inc(x) in let b = await call Double(a) in await call Show(b)

scenario vector {
  start t = Chain(4);
  finally result(t) == "v=10";
}
"""


def Chain(ctx, x):
    a = yield ctx.call_activity("Inc", input=x)
    b = yield ctx.call_activity("Double", input=a)
    return (yield ctx.call_activity("Show", input=b))


@vector
def chain():
    v = Vector("chain", "Chain", "chain-1", "three activities in sequence; ids 1,2,3, completion id 4",
               CHAIN_DFL, {"Chain": Chain})
    a = v.start(4)
    a = v.turn([E.task_completed(a[0], 5)])
    a = v.turn([E.task_completed(a[0], 10)])
    v.turn([E.task_completed(a[0], "v=10")])
    return v


# ---- fan-out / fan-in --------------------------------------------------------------------------

FAN_DFL = """
// Fan-out/fan-in: one activity per element, all awaited together; results in list order.

activity Square(x) = x * x

orchestration FanOut(xs) =
  let rec spawn(l) = if l == [] then [] else [call Square(head(l))] ++ spawn(tail(l)) in
  await_all(spawn(xs))

scenario vector {
  start t = FanOut([1, 2, 3]);
  finally result(t) == [1, 4, 9];
}
"""


def FanOut(ctx, xs):
    tasks = [ctx.call_activity("Square", input=x) for x in xs]
    return (yield task.when_all(tasks))


@vector
def fan_out_fan_in():
    v = Vector("fan_out_fan_in", "FanOut", "fan-1",
               "when_all over 3 activities; completions delivered in one turn in reverse order",
               FAN_DFL, {"FanOut": FanOut})
    a = v.start([1, 2, 3])
    v.turn([E.task_completed(a[2], 9), E.task_completed(a[0], 1), E.task_completed(a[1], 4)])
    return v


@vector
def fan_out_fan_in_stepwise():
    v = Vector("fan_out_fan_in_stepwise", "FanOut", "fan-2",
               "when_all; one completion per turn (2,0,1): no actions until the last one",
               FAN_DFL, {"FanOut": FanOut})
    a = v.start([1, 2, 3])
    v.turn([E.task_completed(a[2], 9)])
    v.turn([E.task_completed(a[0], 1)])
    v.turn([E.task_completed(a[1], 4)])
    return v


EMPTY_ALL_DFL = """
// await_all of the empty list is [] at once in DFL.

orchestration AllOfNone(_) = await_all([])

scenario vector {
  start t = AllOfNone();
  finally result(t) == [];
}
"""


def AllOfNone(ctx, _):
    return (yield task.when_all([]))


@vector
def await_all_empty():
    v = Vector("await_all_empty", "AllOfNone", "empty-1",
               "when_all([]) never completes in the SDK: no actions, the orchestration hangs",
               EMPTY_ALL_DFL, {"AllOfNone": AllOfNone})
    v.start()
    v.turn([E.event_raised("poke", 1)])
    return v


ALL_ERR_DFL = """
// await_all where two activities fail: DFL raises the error of the first failed future in
// list order ("bad 2"), once every future is resolved.

activity Check(x) = if x >= 2 then fail("bad " ++ show(x)) else x

orchestration CheckAll(xs) =
  let rec spawn(l) = if l == [] then [] else [call Check(head(l))] ++ spawn(tail(l)) in
  try await_all(spawn(xs)) catch e -> "caught " ++ e

scenario vector {
  start t = CheckAll([1, 2, 3]);
  finally result(t) == "caught bad 2";
}
"""


def CheckAll(ctx, xs):
    tasks = [ctx.call_activity("Check", input=x) for x in xs]
    try:
        return (yield task.when_all(tasks))
    except task.TaskFailedError as e:
        return "caught " + e.details.message


@vector
def await_all_error_order():
    v = Vector("await_all_error_order", "CheckAll", "all-err-1",
               "when_all with two failures completing in reverse list order: the SDK raises the "
               "first failure *delivered* (\"bad 3\"), not the first in list order",
               ALL_ERR_DFL, {"CheckAll": CheckAll})
    a = v.start([1, 2, 3])
    v.turn([E.task_failed(a[2], "bad 3")])
    v.turn([E.task_completed(a[0], 1), E.task_failed(a[1], "bad 2")])
    return v


# ---- when_any --------------------------------------------------------------------------------

RACE_DFL = """
// An activity races a 60-second timer; the result names the winner's index.

activity Slow() = "slow result"

orchestration Race(_) = let (i, v) = await_any([call Slow(), timer(60)]) in (i, v)
"""


def Race(ctx, _):
    work = ctx.call_activity("Slow")
    timer = ctx.create_timer(timedelta(seconds=60))
    winner = yield task.when_any([work, timer])
    if winner is work:
        return [0, winner.get_result()]
    return [1, winner.get_result()]


@vector
def when_any_activity_wins():
    v = Vector("when_any_activity_wins", "Race", "race-1",
               "when_any(activity, timer): the activity completes first; the timer is not cancelled",
               RACE_DFL, {"Race": Race})
    a = v.start()
    v.turn([E.task_completed(a[0], "slow result")], at=BASE + timedelta(seconds=30))
    return v


@vector
def when_any_timer_wins():
    v = Vector("when_any_timer_wins", "Race", "race-2",
               "when_any(activity, timer): the timer fires first; the activity is not cancelled",
               RACE_DFL, {"Race": Race})
    a = v.start()
    v.turn([E.timer_fired(a[1])], at=BASE + timedelta(seconds=60))
    return v


@vector
def when_any_same_batch():
    v = Vector("when_any_same_batch", "Race", "race-3",
               "when_any: both results arrive in one turn (timer first in the batch): the first "
               "in newEvents order wins",
               RACE_DFL, {"Race": Race})
    a = v.start()
    v.turn([E.timer_fired(a[1]), E.task_completed(a[0], "slow result")], at=BASE + timedelta(seconds=61))
    return v


RACE_ON_DFL = """
// A race, then an external event: the losing activity's late result is delivered to a future
// nobody awaits any more.

activity Slow() = "slow result"

orchestration RaceOn(_) =
  let (i, v) = await_any([call Slow(), timer(60)]) in let g = await event("go") in (i, v, g)

scenario vector {
  start t = RaceOn();
  raise t go("done");
  sometimes result(t) == (1, (), "done");
}
"""


def RaceOn(ctx, _):
    work = ctx.call_activity("Slow")
    timer = ctx.create_timer(timedelta(seconds=60))
    winner = yield task.when_any([work, timer])
    i = 0 if winner is work else 1
    value = winner.get_result()
    g = yield ctx.wait_for_external_event("go")
    return [i, value, g]


@vector
def when_any_late_loser():
    v = Vector("when_any_late_loser", "RaceOn", "raceon-1",
               "when_any: the timer wins (turn 2), the orchestration goes on waiting for an event; "
               "the losing activity's taskCompleted arrives later (turn 3): no actions, no error",
               RACE_ON_DFL, {"RaceOn": RaceOn})
    a = v.start()
    v.turn([E.timer_fired(a[1])], at=BASE + timedelta(seconds=60))
    v.turn([E.task_completed(a[0], "slow result")], at=BASE + timedelta(seconds=90))
    v.turn([E.event_raised("go", "done")], at=BASE + timedelta(seconds=120))
    return v


# ---- activity errors ---------------------------------------------------------------------------

PAY_DFL = """
// An activity error, uncaught (Pay) and caught with try (SafePay).

activity Charge(amt) = if amt > 100 then fail("limit: " ++ show(amt)) else amt

activity Note(msg) = msg

orchestration Pay(amt) = let r = await call Charge(amt) in r * 2

orchestration SafePay(amt) =
  let r = try await call Charge(amt) catch e -> "caught " ++ e in
  let n = await call Note(r) in ("after", n)

scenario uncaught {
  start t = Pay(500);
  finally status(t) == "failed" && result(t) == "limit: 500";
}

scenario caught {
  start t = SafePay(500);
  finally result(t) == ("after", "caught limit: 500");
}
"""


def Pay(ctx, amt):
    r = yield ctx.call_activity("Charge", input=amt)
    return r * 2


def SafePay(ctx, amt):
    try:
        r = yield ctx.call_activity("Charge", input=amt)
    except task.TaskFailedError as e:
        r = "caught " + e.details.message
    n = yield ctx.call_activity("Note", input=r)
    return ["after", n]


@vector
def activity_error_uncaught():
    v = Vector("activity_error_uncaught", "Pay", "pay-1",
               "taskFailed not caught: completeOrchestration FAILED, TaskFailedError wrapping the "
               "activity's failureDetails as innerFailure",
               PAY_DFL, {"Pay": Pay, "SafePay": SafePay})
    a = v.start(500)
    v.turn([E.task_failed(a[0], "limit: 500")])
    return v


@vector
def activity_error_caught():
    v = Vector("activity_error_caught", "SafePay", "pay-2",
               "taskFailed caught with try/except; the handler sees failureDetails.errorMessage",
               PAY_DFL, {"Pay": Pay, "SafePay": SafePay})
    a = v.start(500)
    a = v.turn([E.task_failed(a[0], "limit: 500")])
    v.turn([E.task_completed(a[0], "caught limit: 500")])
    return v


@vector
def activity_success():
    v = Vector("activity_success", "Pay", "pay-3", "the same Pay, the activity succeeds; result is JSON text",
               PAY_DFL, {"Pay": Pay, "SafePay": SafePay})
    a = v.start(40)
    v.turn([E.task_completed(a[0], 40)])
    return v


FAIL_DFL = """
// The orchestration itself raises an error (no activity involved).

orchestration Validate(x) = if x < 0 then fail("negative: " ++ show(x)) else x

scenario vector {
  start t = Validate(-3);
  finally status(t) == "failed" && result(t) == "negative: -3";
}
"""


def Validate(ctx, x):
    if x < 0:
        raise Exception(f"negative: {x}")
    return x
    yield  # a generator, like every DFL orchestration


@vector
def orchestrator_raises():
    v = Vector("orchestrator_raises", "Validate", "validate-1",
               "orchestrator code raises before any await: FAILED in turn 1, completion id 1",
               FAIL_DFL, {"Validate": Validate})
    v.start(-3)
    return v


CONST_DFL = """
// An orchestration that awaits nothing.

orchestration Const(x) = x + 1

scenario vector {
  start t = Const(41);
  finally result(t) == 42;
}
"""


def Const(ctx, x):
    return x + 1  # not a generator: the SDK completes it at once


@vector
def no_await():
    v = Vector("no_await", "Const", "const-1",
               "orchestrator that awaits nothing (a plain function in Python): one completion, id 1",
               CONST_DFL, {"Const": Const})
    v.start(41)
    return v


UNIT_DFL = """
// Unit in, unit out: an activity called with () and an orchestration returning ().

activity Ping() = ()

orchestration Pinger(_) =
  await call Ping();
  ()

scenario vector {
  start t = Pinger();
  finally status(t) == "completed" && result(t) == ();
}
"""


def Pinger(ctx, _):
    yield ctx.call_activity("Ping")
    return None


@vector
def unit_values():
    v = Vector("unit_values", "Pinger", "ping-1",
               "no input and a None result: `input` and `result` fields are absent (not \"null\")",
               UNIT_DFL, {"Pinger": Pinger})
    a = v.start()
    v.turn([E.task_completed(a[0], None)])
    return v


FORGET_DFL = """
// Fire and forget: an activity called and never awaited; the orchestration ends at once.

activity Audit(x) = ()

orchestration Forget(x) =
  call Audit(x);
  "sent"

scenario vector {
  start t = Forget(1);
  finally result(t) == "sent";
}
"""


def Forget(ctx, x):
    ctx.call_activity("Audit", input=x)
    return "sent"


@vector
def fire_and_forget():
    v = Vector("fire_and_forget", "Forget", "forget-1",
               "an un-awaited activity and the completion are emitted in the same turn (ids 1, 2)",
               FORGET_DFL, {"Forget": Forget})
    v.start(1)
    return v


# ---- continue-as-new -------------------------------------------------------------------------

COUNTDOWN_DFL = """
// Continue-as-new: one activity per execution until the counter reaches 0.

activity Tick(n) = n - 1

orchestration Countdown(n) = if n == 0 then "done" else continue Countdown(await call Tick(n))

scenario vector {
  start t = Countdown(2);
  finally result(t) == "done";
}
"""


def Countdown(ctx, n):
    if n == 0:
        return "done"
    m = yield ctx.call_activity("Tick", input=n)
    ctx.continue_as_new(m)
    return


@vector
def continue_as_new():
    v = Vector("continue_as_new", "Countdown", "countdown-1",
               "two continue-as-new steps then completion; each execution restarts ids at 1",
               COUNTDOWN_DFL, {"Countdown": Countdown})
    a = v.start(2)
    v.turn([E.task_completed(a[0], 1)])
    a = v.turn()
    v.turn([E.task_completed(a[0], 0)])
    v.turn()
    return v


WAITER_DFL = """
// Continue-as-new and external events: an event buffered in execution 0 is dropped at
// continue-as-new; execution 1 waits for the next one.

orchestration Waiter(k) = if k == 0 then continue Waiter(1) else await event("go")
"""


def Waiter(ctx, k):
    if k == 0:
        ctx.continue_as_new(1)
        return
    return (yield ctx.wait_for_external_event("go"))


@vector
def continue_as_new_events():
    v = Vector("continue_as_new_events", "Waiter", "waiter-1",
               "an event delivered with the start is buffered, then dropped at continue-as-new "
               "(no carryoverEvents: save_events=False); an event after it completes execution 1",
               WAITER_DFL, {"Waiter": Waiter})
    v.start(0, extra=[E.event_raised("go", "early")])
    v.turn()
    v.turn([E.event_raised("go", "late")])
    return v


STALE_DFL = """
// Continue-as-new with an un-awaited activity: both actions are emitted; ids restart at 1.

activity Echo(x) = x

orchestration Stale(k) =
  if k == 0 then
    call Echo("old");
    continue Stale(1)
  else await call Echo("new")

scenario vector {
  start t = Stale(0);
  finally result(t) == "new";
}
"""


def Stale(ctx, k):
    if k == 0:
        ctx.call_activity("Echo", input="old")
        ctx.continue_as_new(1)
        return
    return (yield ctx.call_activity("Echo", input="new"))


@vector
def continue_as_new_pending_activity():
    v = Vector("continue_as_new_pending_activity", "Stale", "stale-1",
               "continue-as-new with an un-awaited activity: scheduleTask id 1 + "
               "completeOrchestration CONTINUED_AS_NEW id 2; the next execution reuses id 1",
               STALE_DFL, {"Stale": Stale})
    v.start(0)
    a = v.turn()
    v.turn([E.task_completed(a[0], "new")])
    return v


# ---- sub-orchestrations ------------------------------------------------------------------------

CHILD_DFL = """
// A sub-orchestration whose result is awaited.

activity Square(x) = x * x

orchestration Child(x) = await call Square(x)

orchestration Parent(x) = await call Child(x)

scenario vector {
  start t = Parent(3);
  finally result(t) == 9;
}
"""


def Child(ctx, x):
    return (yield ctx.call_activity("Square", input=x))


def Parent(ctx, x):
    return (yield ctx.call_sub_orchestrator("Child", input=x))


@vector
def sub_orchestration():
    v = Vector("sub_orchestration", "Parent", "parent-1",
               "createSubOrchestration: child instance id \"<parent>:<id as 4 hex digits>\" = "
               "\"parent-1:0001\"",
               CHILD_DFL, {"Parent": Parent, "Child": Child})
    a = v.start(3)
    v.turn([E.sub_completed(a[0], 9)])
    return v


@vector
def sub_orchestration_child_side():
    v = Vector("sub_orchestration_child", "Child", "parent-1:0001",
               "the child itself, started with the id its parent chose",
               CHILD_DFL, {"Parent": Parent, "Child": Child})
    a = v.start(3)
    v.turn([E.task_completed(a[0], 9)])
    return v


MIXED_DFL = """
// Activities, timers and sub-orchestrations share one id counter.

activity Inc(x) = x + 1

activity Square(x) = x * x

orchestration Child(x) = await call Square(x)

orchestration Mixed(x) =
  let a = call Inc(x) in
  let t = timer(10) in let c = call Child(x) in let d = call Child(x + 1) in await_all([a, t, c, d])

scenario vector {
  start t = Mixed(3);
  finally result(t) == [4, (), 9, 16];
}
"""


def Mixed(ctx, x):
    a = ctx.call_activity("Inc", input=x)
    t = ctx.create_timer(timedelta(seconds=10))
    c = ctx.call_sub_orchestrator("Child", input=x)
    d = ctx.call_sub_orchestrator("Child", input=x + 1)
    return (yield task.when_all([a, t, c, d]))


@vector
def shared_id_counter():
    v = Vector("shared_id_counter", "Mixed", "mixed-1",
               "activity id 1, timer id 2, children ids 3 and 4 (\"mixed-1:0003\", \"mixed-1:0004\"), "
               "completion id 5",
               MIXED_DFL, {"Mixed": Mixed, "Child": Child})
    a = v.start(3)
    v.turn([E.task_completed(a[0], 4), E.sub_completed(a[2], 9)], at=BASE + timedelta(seconds=5))
    v.turn([E.timer_fired(a[1]), E.sub_completed(a[3], 16)], at=BASE + timedelta(seconds=10))
    return v


MANY_DFL = """
// Eleven sub-orchestrations: the child ids count in hexadecimal.

activity Square(x) = x * x

orchestration Child(x) = await call Square(x)

orchestration Many(n) =
  let rec spawn(i) = if i > n then [] else [call Child(i)] ++ spawn(i + 1) in await_all(spawn(1))

// (no scenario: eleven concurrent children are too many states to explore)
"""


def Many(ctx, n):
    tasks = [ctx.call_sub_orchestrator("Child", input=i) for i in range(1, n + 1)]
    return (yield task.when_all(tasks))


@vector
def sub_orchestration_many():
    v = Vector("sub_orchestration_many", "Many", "many-1",
               "11 children: ids many-1:0001 ... many-1:0009, many-1:000a, many-1:000b",
               MANY_DFL, {"Many": Many, "Child": Child})
    a = v.start(11)
    v.turn([E.sub_completed(x, (i + 1) * (i + 1)) for i, x in enumerate(a)])
    return v


CHILD_FAIL_DFL = """
// A failing sub-orchestration, caught (Caught) and uncaught (Uncaught).

orchestration Failing(x) = fail("bad " ++ show(x))

orchestration Caught(x) = try await call Failing(x) catch e -> ("caught", e)

orchestration Uncaught(x) = await call Failing(x)

scenario caught {
  start t = Caught(7);
  finally result(t) == ("caught", "bad 7");
}

scenario uncaught {
  start t = Uncaught(7);
  finally status(t) == "failed" && result(t) == "bad 7";
}
"""


def Failing(ctx, x):
    raise Exception(f"bad {x}")
    yield


def Caught(ctx, x):
    try:
        return (yield ctx.call_sub_orchestrator("Failing", input=x))
    except task.TaskFailedError as e:
        return ["caught", e.details.message]


def Uncaught(ctx, x):
    return (yield ctx.call_sub_orchestrator("Failing", input=x))


@vector
def sub_orchestration_failed_caught():
    v = Vector("sub_orchestration_failed_caught", "Caught", "caught-1",
               "subOrchestrationInstanceFailed caught; the handler sees the child's errorMessage",
               CHILD_FAIL_DFL, {"Caught": Caught, "Uncaught": Uncaught, "Failing": Failing})
    a = v.start(7)
    v.turn([E.sub_failed(a[0], "bad 7")])
    return v


@vector
def sub_orchestration_failed_uncaught():
    v = Vector("sub_orchestration_failed_uncaught", "Uncaught", "uncaught-1",
               "subOrchestrationInstanceFailed uncaught: parent FAILED, message "
               "\"Sub-orchestration task #1 failed: ...\", child's details as innerFailure",
               CHILD_FAIL_DFL, {"Caught": Caught, "Uncaught": Uncaught, "Failing": Failing})
    a = v.start(7)
    v.turn([E.sub_failed(a[0], "bad 7")])
    return v


@vector
def sub_orchestration_failing_child():
    v = Vector("sub_orchestration_failing_child", "Failing", "uncaught-1:0001",
               "the failing child itself: errorType builtins.Exception, no innerFailure",
               CHILD_FAIL_DFL, {"Caught": Caught, "Uncaught": Uncaught, "Failing": Failing})
    v.start(7)
    return v


ROUNDS_DFL = """
// A sub-orchestration in each of two executions (continue-as-new in between).

activity Square(x) = x * x

orchestration Child(x) = await call Square(x)

orchestration Rounds(k) =
  let r = await call Child(k + 2) in if k == 1 then r else continue Rounds(k + 1)

scenario vector {
  start t = Rounds(0);
  finally result(t) == 9;
}
"""


def Rounds(ctx, k):
    r = yield ctx.call_sub_orchestrator("Child", input=k + 2)
    if k == 1:
        return r
    ctx.continue_as_new(k + 1)
    return


@vector
def sub_orchestration_after_continue_as_new():
    v = Vector("sub_orchestration_after_continue_as_new", "Rounds", "rounds-1",
               "the child of execution 0 and the child of execution 1 get the SAME instance id "
               "\"rounds-1:0001\" (the id does not include the execution)",
               ROUNDS_DFL, {"Rounds": Rounds, "Child": Child})
    a = v.start(0)
    v.turn([E.sub_completed(a[0], 4)])
    a = v.turn()
    v.turn([E.sub_completed(a[0], 9)])
    return v


# ---- timers and time -------------------------------------------------------------------------

SLEEP_DFL = """
// A durable timer.

orchestration Sleep(s) =
  await timer(s);
  "woke"

scenario vector {
  start t = Sleep(5);
  finally result(t) == "woke";
}
"""


def Sleep(ctx, s):
    yield ctx.create_timer(timedelta(seconds=s))
    return "woke"


@vector
def timer():
    v = Vector("timer", "Sleep", "sleep-1",
               "createTimer fireAt = orchestratorStarted timestamp + 5 s; timerFired resumes",
               SLEEP_DFL, {"Sleep": Sleep})
    a = v.start(5)
    v.turn([E.timer_fired(a[0])], at=BASE + timedelta(seconds=5))
    return v


@vector
def long_timer():
    v = Vector("long_timer", "Sleep", "sleep-2",
               "a 10-day timer is split into 3-day chunks (maximum_timer_interval): each chunk is "
               "a new createTimer with a NEW id (1, 2, 3, 4), completion id 5",
               SLEEP_DFL, {"Sleep": Sleep})
    a = v.start(864000)
    for _ in range(3):
        fire = a[0].createTimer.fireAt.ToDatetime()
        a = v.turn([E.timer_fired(a[0])], at=fire)
    fire = a[0].createTimer.fireAt.ToDatetime()
    v.turn([E.timer_fired(a[0])], at=fire)
    return v


CLOCK_DFL = """
// now() before and after a timer, in whole seconds since the Unix epoch (the oracle's now()).

orchestration Clock(_) =
  let before = now() in
  await timer(5);
  let after = now() in (before, after)
"""


def Clock(ctx, _):
    before = epoch_seconds(ctx.current_utc_datetime)
    yield ctx.create_timer(timedelta(seconds=5))
    after = epoch_seconds(ctx.current_utc_datetime)
    return [before, after]


@vector
def now():
    v = Vector("now", "Clock", "clock-1",
               "current_utc_datetime = the timestamp of the turn's orchestratorStarted "
               "(1704067200, then 1704067207)",
               CLOCK_DFL, {"Clock": Clock})
    a = v.start()
    v.turn([E.timer_fired(a[0])], at=BASE + timedelta(seconds=7))
    return v


@vector
def now_before_orchestrator_started():
    v = Vector("now_before_orchestrator_started", "Clock", "clock-2",
               "executionStarted delivered BEFORE orchestratorStarted: the code runs before the "
               "clock is set and reads datetime(1000,1,1) (-30610224000); the timer's fireAt too",
               CLOCK_DFL, {"Clock": Clock})
    a = v.start(order="execution-first")
    v.turn([E.timer_fired(a[0])], at=BASE + timedelta(seconds=7))
    return v


# ---- external events -------------------------------------------------------------------------

APPROVAL_DFL = """
// An external event races a one-hour timer.

orchestration Approval(_) =
  let e = event("approve") in
  let t = timer(3600) in
  let (i, v) = await_any([e, t]) in if i == 0 then ("approved", v) else "timed out"

scenario vector {
  start t = Approval();
  raise t approve("alice");
  sometimes result(t) == ("approved", "alice");
  sometimes result(t) == "timed out";
}
"""


def Approval(ctx, _):
    e = ctx.wait_for_external_event("approve")
    t = ctx.create_timer(timedelta(seconds=3600))
    winner = yield task.when_any([e, t])
    if winner is e:
        return ["approved", e.get_result()]
    return "timed out"


@vector
def approval_event():
    v = Vector("approval_event", "Approval", "approval-1",
               "wait_for_external_event takes no id (the timer is id 1); the event wins the race",
               APPROVAL_DFL, {"Approval": Approval})
    v.start()
    v.turn([E.event_raised("approve", "alice")])
    return v


@vector
def approval_timeout():
    v = Vector("approval_timeout", "Approval", "approval-2",
               "the timer wins; an event raised afterwards would find the instance finished",
               APPROVAL_DFL, {"Approval": Approval})
    a = v.start()
    v.turn([E.timer_fired(a[0])], at=BASE + timedelta(seconds=3600))
    return v


WAIT_DFL = """
// Waiting for one external event.

orchestration Wait(_) = await event("go")

scenario vector {
  start t = Wait();
  raise t go(7);
  finally result(t) == 7;
}
"""


def Wait(ctx, _):
    return (yield ctx.wait_for_external_event("go"))


@vector
def event_after_wait():
    v = Vector("event_after_wait", "Wait", "wait-1",
               "the event arrives after the orchestration waits: turn 1 has no actions",
               WAIT_DFL, {"Wait": Wait})
    v.start()
    v.turn([E.event_raised("go", 7)])
    return v


@vector
def event_with_start():
    v = Vector("event_with_start", "Wait", "wait-2",
               "the event is delivered in the same batch as executionStarted: consumed in turn 1",
               WAIT_DFL, {"Wait": Wait})
    v.start(extra=[E.event_raised("go", 7)])
    return v


@vector
def event_other_name():
    v = Vector("event_other_name", "Wait", "wait-3",
               "an event of another name is buffered and ignored; then the right one arrives",
               WAIT_DFL, {"Wait": Wait})
    v.start()
    v.turn([E.event_raised("stop", 1)])
    v.turn([E.event_raised("go", 7)])
    return v


@vector
def event_name_case():
    v = Vector("event_name_case", "Wait", "wait-4",
               "event names are case-insensitive (str.casefold): \"GO\" completes a wait for \"go\"",
               WAIT_DFL, {"Wait": Wait})
    v.start()
    v.turn([E.event_raised("GO", 7)])
    return v


FOLD_DFL = """
// Waiting for an event whose name has a letter that case folding expands (ß folds to ss).

orchestration WaitStreet(_) = await event("straße")

scenario vector {
  start t = WaitStreet();
  raise t "straße"(7);
  finally result(t) == 7;
}
"""


def WaitStreet(ctx, _):
    return (yield ctx.wait_for_external_event("straße"))


@vector
def event_name_casefold():
    v = Vector("event_name_casefold", "WaitStreet", "street-1",
               "names are compared after full case folding, not lowercasing: \"STRASSE\" "
               "completes a wait for \"straße\" (both fold to \"strasse\")",
               FOLD_DFL, {"WaitStreet": WaitStreet})
    v.start()
    v.turn([E.event_raised("STRASSE", 7)])
    return v


EARLY_DFL = """
// An event raised while the orchestration awaits an activity: buffered, consumed later.

activity Inc(x) = x + 1

orchestration Early(x) = let a = await call Inc(x) in let v = await event("go") in (a, v)

scenario vector {
  start t = Early(1);
  raise t go("ok");
  finally result(t) == (2, "ok");
}
"""


def Early(ctx, x):
    a = yield ctx.call_activity("Inc", input=x)
    v = yield ctx.wait_for_external_event("go")
    return [a, v]


@vector
def event_before_wait():
    v = Vector("event_before_wait", "Early", "early-1",
               "the event arrives (turn 2, no actions) before the code waits for it (turn 3): "
               "buffered per name and consumed by the later wait",
               EARLY_DFL, {"Early": Early})
    a = v.start(1)
    v.turn([E.event_raised("go", "ok")])
    v.turn([E.task_completed(a[0], 2)])
    return v


TWO_DFL = """
// Two waits on one event name: bound in creation order to the events in arrival order.

orchestration TwoEvents(_) =
  let first = event("x") in let second = event("x") in (await first, await second)

scenario vector {
  start t = TwoEvents();
  raise t x(1);
  raise t x(2);
  finally result(t) == (1, 2);
}
"""


def TwoEvents(ctx, _):
    first = ctx.wait_for_external_event("x")
    second = ctx.wait_for_external_event("x")
    a = yield first
    b = yield second
    return [a, b]


@vector
def two_events_one_name():
    v = Vector("two_events_one_name", "TwoEvents", "two-1",
               "two waits on \"x\", two events in two turns: first wait gets 1, second gets 2",
               TWO_DFL, {"TwoEvents": TwoEvents})
    v.start()
    v.turn([E.event_raised("x", 1)])
    v.turn([E.event_raised("x", 2)])
    return v


@vector
def two_events_one_batch():
    v = Vector("two_events_one_batch", "TwoEvents", "two-2",
               "two waits on \"x\", both events in one batch (and a differently-cased name)",
               TWO_DFL, {"TwoEvents": TwoEvents})
    v.start()
    v.turn([E.event_raised("x", 1), E.event_raised("X", 2)])
    return v


# ---- entities --------------------------------------------------------------------------------

COUNTER_DFL = """
// Entity signal then call from one orchestration.

entity Counter { init 0; op add(n) = set(get + n); op get(_) = get }

orchestration SignalThenCall(n) =
  signal Counter("c").add(n);
  await call Counter("c").get()

orchestration Bump(n) =
  signal Counter("c").add(n);
  n

scenario vector {
  start t = SignalThenCall(5);
  finally result(t) == 5;
}
"""


def SignalThenCall(ctx, n):
    c = ent("Counter", "c")
    ctx.signal_entity(c, "add", n)
    return (yield ctx.call_entity(c, "get"))


def Bump(ctx, n):
    ctx.signal_entity(ent("Counter", "c"), "add", n)
    return n


@vector
def entity_signal_then_call():
    v = Vector("entity_signal_then_call", "SignalThenCall", "sigcall-1",
               "signal_entity (id 1) and call_entity (id 2) as sendEntityMessage actions; "
               "entity id \"@counter@c\"; requestId is a name-based UUID; the response "
               "entityOperationCompleted is matched by requestId",
               COUNTER_DFL, {"SignalThenCall": SignalThenCall, "Bump": Bump})
    a = v.start(5)
    v.turn([E.entity_completed(a[1], 5)])
    return v


@vector
def entity_signal_only():
    v = Vector("entity_signal_only", "Bump", "bump-1",
               "a signal and the completion in one turn (ids 1, 2)",
               COUNTER_DFL, {"SignalThenCall": SignalThenCall, "Bump": Bump})
    v.start(3)
    return v


RISKY_DFL = """
// An entity operation that fails.

entity Counter { init 0; op add(n) = set(get + n); op get(_) = get; op boom(_) = fail("boom") }

orchestration Risky(_) = await call Counter("c").boom()

scenario vector {
  start t = Risky();
  finally status(t) == "failed" && result(t) == "boom";
}
"""


def Risky(ctx, _):
    return (yield ctx.call_entity(ent("Counter", "c"), "boom"))


@vector
def entity_call_failed():
    v = Vector("entity_call_failed", "Risky", "risky-1",
               "entityOperationFailed uncaught: FAILED with EntityOperationFailedException inside",
               RISKY_DFL, {"Risky": Risky})
    a = v.start()
    v.turn([E.entity_failed(a[0], "boom")])
    return v


BANK_DFL = """
// A transfer in a critical section over two accounts.

entity Account { init 0; op get(_) = get; op add(n) = set(get + n) }

orchestration Transfer(src, dst, amt) =
  lock [Account(src), Account(dst)] {
    let b = await call Account(src).get() in
    if b >= amt then
      await call Account(src).add(-amt);
      await call Account(dst).add(amt);
      true
    else false
  }

scenario vector {
  init Account("B") = 100;
  start t = Transfer("B", "A", 70);
  finally result(t) == true;
}
"""


def Transfer(ctx, inp):
    src, dst, amt = inp
    a = ent("Account", src)
    b = ent("Account", dst)
    with (yield ctx.lock_entities([a, b])):
        bal = yield ctx.call_entity(a, "get")
        if bal >= amt:
            yield ctx.call_entity(a, "add", -amt)
            yield ctx.call_entity(b, "add", amt)
            return True
        return False


@vector
def entity_lock():
    v = Vector("entity_lock", "Transfer", "transfer-1",
               "lock_entities: entityLockRequested (lockSet sorted: @account@A, @account@B; "
               "position 0) id 1; entityLockGranted by criticalSectionId; calls ids 2-4; "
               "two entityUnlockSent ids 5, 6 before the completion id 7",
               BANK_DFL, {"Transfer": Transfer})
    a = v.start(["B", "A", 70])
    a = v.turn([E.lock_granted(a[0])])
    a = v.turn([E.entity_completed(a[0], 100)])
    a = v.turn([E.entity_completed(a[0], None)])
    v.turn([E.entity_completed(a[0], None)])
    return v


@vector
def entity_lock_insufficient():
    v = Vector("entity_lock_insufficient", "Transfer", "transfer-2",
               "the same transfer, balance too low: unlocks ids 3, 4 and completion id 5 in one turn",
               BANK_DFL, {"Transfer": Transfer})
    a = v.start(["B", "A", 70])
    a = v.turn([E.lock_granted(a[0])])
    v.turn([E.entity_completed(a[0], 10)])
    return v


LOCKRULE_DFL = """
// A lock rule broken: a call to an entity outside the lock set, caught.

entity Log { init []; op add(x) = set(get ++ [x]) }

entity Other { init 0; op get(_) = get }

orchestration BadLock(_) = lock [Log("x")] { try await call Other("y").get() catch e -> e }
"""


def BadLock(ctx, _):
    with (yield ctx.lock_entities([ent("Log", "x")])):
        try:
            return (yield ctx.call_entity(ent("Other", "y"), "get"))
        except RuntimeError as e:
            return str(e)


@vector
def lock_rule_violation():
    v = Vector("lock_rule_violation", "BadLock", "badlock-1",
               "call_entity outside the lock set raises RuntimeError in the code (catchable); "
               "the failed call still consumed id 2; unlock id 3, completion id 4",
               LOCKRULE_DFL, {"BadLock": BadLock})
    a = v.start()
    v.turn([E.lock_granted(a[0])])
    return v


LOCKED_WORK_DFL = """
// An activity and a sub-orchestration inside a critical section: lock-rule errors in DFL
// (unless --lock-activities, and never for the sub-orchestration); the SDK allows both.

entity Log { init []; op add(x) = set(get ++ [x]) }

activity Inc(x) = x + 1

activity Square(x) = x * x

orchestration Child(x) = await call Square(x)

orchestration LockedWork(_) =
  try lock [Log("x")] { let a = await call Inc(1) in await call Child(a) } catch e -> e
"""


def LockedWork(ctx, _):
    with (yield ctx.lock_entities([ent("Log", "x")])):
        a = yield ctx.call_activity("Inc", input=1)
        return (yield ctx.call_sub_orchestrator("Child", input=a))


@vector
def lock_activity_and_sub_orchestration():
    v = Vector("lock_activity_and_sub_orchestration", "LockedWork", "lockedwork-1",
               "inside lock_entities the SDK lets the code call an activity (id 2) and a "
               "sub-orchestration (id 3, \"lockedwork-1:0003\") without any error; unlock id 4, "
               "completion id 5",
               LOCKED_WORK_DFL, {"LockedWork": LockedWork, "Child": Child})
    a = v.start()
    a = v.turn([E.lock_granted(a[0])])
    a = v.turn([E.task_completed(a[0], 2)])
    v.turn([E.sub_completed(a[0], 4)])
    return v


PENDING_DFL = """
// A critical section left while a call inside it is still pending: its future is awaited
// after the lock is released.

entity Log { init []; op add(x) = set(get ++ [x]) }

orchestration Leave(_) = let f = lock [Log("x"), Log("y")] { call Log("x").add(1) } in await f

scenario vector {
  start t = Leave();
  finally status(t) == "completed" && state(Log("x")) == [1];
  finally locked(Log("x")) == () && locked(Log("y")) == ();
}
"""


def Leave(ctx, _):
    with (yield ctx.lock_entities([ent("Log", "x"), ent("Log", "y")])):
        t = ctx.call_entity(ent("Log", "x"), "add", 1)
    return (yield t)


@vector
def entity_lock_pending_call():
    v = Vector("entity_lock_pending_call", "Leave", "leave-1",
               "a critical section left with a call pending (id 2): the SDK releases only "
               "@log@y (id 3), never @log@x, whose lock it dropped from its list when the call "
               "was made; completion id 4 once the call returns",
               PENDING_DFL, {"Leave": Leave})
    a = v.start()
    a = v.turn([E.lock_granted(a[0])])
    v.turn([E.entity_completed(a[0], None)])
    return v


# ---- non-determinism -------------------------------------------------------------------------

BRANCH_DFL = """
// The code calls Right; the recorded history (of an older version) says Left.

activity Left(x) = ("left", x)

activity Right(x) = ("right", x)

orchestration Branch(x) = await call Right(x)
"""


def Branch(ctx, x):
    return (yield ctx.call_activity("Right", input=x))


def _rename_scheduled(old: str, new: str):
    def edit(past):
        out = []
        for e in past:
            if e.HasField("taskScheduled") and e.taskScheduled.name == old:
                e = pb.HistoryEvent.FromString(e.SerializeToString())
                e.taskScheduled.name = new
            out.append(e)
        return out
    return edit


@vector
def nondet_activity_name():
    v = Vector("nondet_activity_name", "Branch", "branch-1",
               "history records taskScheduled \"Left\" id 1 where the code calls \"Right\": "
               "NonDeterminismError -> completeOrchestration FAILED (id 2)",
               BRANCH_DFL, {"Branch": Branch})
    a = v.start(1)
    v.edit_past(_rename_scheduled("Right", "Left"),
                "after turn 1: pastEvents[2].taskScheduled.name changed from Right to Left")
    v.turn([E.task_completed(a[0], ["left", 1])])
    return v


ARG_DFL = """
// The code calls Work(1); the recorded history says Work(2). Only names are compared.

activity Work(x) = x * 10

orchestration Argument(c) = let r = await call Work(c) in (c, r)
"""


def Argument(ctx, c):
    r = yield ctx.call_activity("Work", input=c)
    return [c, r]


def _change_input(name: str, new_input: str):
    def edit(past):
        out = []
        for e in past:
            if e.HasField("taskScheduled") and e.taskScheduled.name == name:
                e = pb.HistoryEvent.FromString(e.SerializeToString())
                e.taskScheduled.input.value = new_input
            out.append(e)
        return out
    return edit


@vector
def nondet_activity_argument():
    v = Vector("nondet_activity_argument", "Argument", "argument-1",
               "history records Work input \"2\" where the code calls Work(1): NOT detected; the "
               "recorded result 20 is delivered and the orchestration completes with [1, 20]",
               ARG_DFL, {"Argument": Argument})
    a = v.start(1)
    v.edit_past(_change_input("Work", "2"),
                "after turn 1: pastEvents[2].taskScheduled.input changed from \"1\" to \"2\"")
    v.turn([E.task_completed(a[0], 20)])
    return v


MISSING_DFL = """
// The code calls A and B in parallel; the recorded history (of an older version that called
// only A) has no taskScheduled for B.

activity A(x) = x + 1

activity B(x) = x + 2

orchestration Both(x) = await_all([call A(x), call B(x)])
"""


def Both(ctx, x):
    return (yield task.when_all([ctx.call_activity("A", input=x), ctx.call_activity("B", input=x)]))


def _drop_scheduled(name: str):
    def edit(past):
        return [e for e in past if not (e.HasField("taskScheduled") and e.taskScheduled.name == name)]
    return edit


@vector
def nondet_missing_action():
    v = Vector("nondet_missing_action", "Both", "both-1",
               "the code schedules B (id 2) but the history has no taskScheduled for it: NOT "
               "detected; the SDK emits scheduleTask B id 2 again in turn 2",
               MISSING_DFL, {"Both": Both})
    a = v.start(1)
    v.edit_past(_drop_scheduled("B"), "after turn 1: the taskScheduled event of B (eventId 2) removed")
    a2 = v.turn([E.task_completed(a[0], 2)])
    v.turn([E.task_completed(a2[0], 3)])
    return v


EXTRA_DFL = """
// The code calls only A; the recorded history (of an older version) also scheduled B.

activity A(x) = x + 1

orchestration OnlyA(x) = await call A(x)
"""


def OnlyA(ctx, x):
    return (yield ctx.call_activity("A", input=x))


def _add_after(pred: Callable[[pb.HistoryEvent], bool], make: Callable[[datetime], pb.HistoryEvent]):
    def edit(past):
        out = []
        for e in past:
            out.append(e)
            if pred(e):
                out.append(make(e.timestamp.ToDatetime()))
        return out
    return edit


@vector
def nondet_extra_action():
    v = Vector("nondet_extra_action", "OnlyA", "onlya-1",
               "history has taskScheduled B id 2 that the code never calls: NonDeterminismError "
               "(\"...called call_activity with ID=2, but the current execution doesn't have this "
               "action...\") -> FAILED",
               EXTRA_DFL, {"OnlyA": OnlyA})
    a = v.start(1)
    v.edit_past(_add_after(lambda e: e.HasField("taskScheduled"),
                           E.task_scheduled(2, "B", 1)),
                "after turn 1: taskScheduled B eventId 2 inserted after the one of A")
    v.turn([E.task_completed(a[0], 2)])
    return v


@vector
def nondet_extra_completion():
    v = Vector("nondet_extra_completion", "OnlyA", "onlya-2",
               "a taskCompleted for an id nobody scheduled (99) and a timerFired for an unknown "
               "timer: silently ignored; then the real completion",
               EXTRA_DFL, {"OnlyA": OnlyA})
    a = v.start(1)
    v.turn([E.task_completed(99, "x"), E.timer_fired_id(42, BASE)])
    v.turn([E.task_completed(a[0], 2)])
    return v


KIND_DFL = """
// The code calls an activity; the recorded history has a timer with that id.

activity A(x) = x + 1

orchestration OnlyA(x) = await call A(x)
"""


def _scheduled_to_timer(past):
    out = []
    for e in past:
        if e.HasField("taskScheduled"):
            e = ev(e.timestamp.ToDatetime(), e.eventId,
                   timerCreated=pb.TimerCreatedEvent(fireAt=ts(BASE + timedelta(seconds=5))))
        out.append(e)
    return out


@vector
def nondet_action_kind():
    v = Vector("nondet_action_kind", "OnlyA", "onlya-3",
               "history has timerCreated id 1 where the code calls an activity: NonDeterminismError "
               "(wrong action type) -> FAILED",
               KIND_DFL, {"OnlyA": OnlyA})
    v.start(1)
    v.edit_past(_scheduled_to_timer, "after turn 1: the taskScheduled id 1 replaced by timerCreated id 1")
    v.turn([E.timer_fired_id(1, BASE + timedelta(seconds=5))], at=BASE + timedelta(seconds=5))
    return v


@vector
def nondet_child_fields():
    def edit(past):
        out = []
        for e in past:
            if e.HasField("subOrchestrationInstanceCreated"):
                e = pb.HistoryEvent.FromString(e.SerializeToString())
                e.subOrchestrationInstanceCreated.instanceId = "someone-else"
                e.subOrchestrationInstanceCreated.input.value = "99"
            out.append(e)
        return out
    v = Vector("nondet_child_fields", "Parent", "parent-2",
               "history's subOrchestrationInstanceCreated has another instanceId and input: NOT "
               "detected (only the name is compared)",
               CHILD_DFL, {"Parent": Parent, "Child": Child})
    a = v.start(3)
    v.edit_past(edit, "after turn 1: subOrchestrationInstanceCreated instanceId -> \"someone-else\", "
                      "input -> \"99\"")
    v.turn([E.sub_completed(a[0], 9)])
    return v


@vector
def nondet_child_name():
    v = Vector("nondet_child_name", "Parent", "parent-3",
               "history's subOrchestrationInstanceCreated names another orchestration: "
               "NonDeterminismError -> FAILED",
               CHILD_DFL, {"Parent": Parent, "Child": Child})

    def edit(past):
        out = []
        for e in past:
            if e.HasField("subOrchestrationInstanceCreated"):
                e = pb.HistoryEvent.FromString(e.SerializeToString())
                e.subOrchestrationInstanceCreated.name = "Stepchild"
            out.append(e)
        return out
    a = v.start(3)
    v.edit_past(edit, "after turn 1: subOrchestrationInstanceCreated name -> \"Stepchild\"")
    v.turn([E.sub_completed(a[0], 9)])
    return v


@vector
def nondet_entity_target():
    def edit(past):
        out = []
        for e in past:
            if e.HasField("entityOperationCalled"):
                e = pb.HistoryEvent.FromString(e.SerializeToString())
                e.entityOperationCalled.targetInstanceId.value = "@counter@other"
                e.entityOperationCalled.operation = "peek"
            out.append(e)
        return out
    v = Vector("nondet_entity_target", "SignalThenCall", "sigcall-2",
               "history's entityOperationCalled targets another entity and operation: NOT "
               "detected (only the kind is compared); the response is matched by requestId",
               COUNTER_DFL, {"SignalThenCall": SignalThenCall, "Bump": Bump})
    a = v.start(5)
    v.edit_past(edit, "after turn 1: entityOperationCalled target -> \"@counter@other\", operation -> \"peek\"")
    v.turn([E.entity_completed(a[1], 5)])
    return v


@vector
def nondet_unknown_entity_response():
    v = Vector("nondet_unknown_entity_response", "SignalThenCall", "sigcall-3",
               "an entityOperationCompleted whose requestId matches no call: unlike other unknown "
               "completions this is NOT ignored: RuntimeError -> FAILED",
               COUNTER_DFL, {"SignalThenCall": SignalThenCall, "Bump": Bump})
    v.start(5)
    v.turn([lambda at: ev(at, entityOperationCompleted=pb.EntityOperationCompletedEvent(
        requestId="no-such-request", output=sv("5")))])
    return v


@vector
def nondet_event_sent():
    v = Vector("nondet_event_sent", "Wait", "wait-5",
               "an eventSent with eventId 1 in the history of code that sends nothing: "
               "NonDeterminismError -> FAILED (completion id 1)",
               WAIT_DFL, {"Wait": Wait})
    v.start()
    v.edit_past(_add_after(lambda e: e.HasField("executionStarted"),
                           E.event_sent(1, "someone", "hello", 1)),
                "after turn 1: eventSent eventId 1 inserted after executionStarted")
    v.turn([E.event_raised("go", 7)])
    return v


# ---- lifecycle events --------------------------------------------------------------------------

@vector
def terminated():
    v = Vector("terminated", "Chain", "chain-3",
               "executionTerminated while an activity runs: completeOrchestration TERMINATED with "
               "the terminate input as result (raw text), id 2",
               CHAIN_DFL, {"Chain": Chain})
    v.start(4)
    v.turn([E.terminated("stopped by operator")])
    return v


@vector
def terminated_at_start():
    v = Vector("terminated_at_start", "Chain", "chain-4",
               "executionTerminated in the first batch: the SDK still emits the scheduleTask the "
               "code produced (id 1) next to completeOrchestration TERMINATED (id 2); no result",
               CHAIN_DFL, {"Chain": Chain})
    v.start(4, extra=[E.terminated(None)])
    return v


@vector
def suspend_resume():
    v = Vector("suspend_resume", "Chain", "chain-5",
               "executionSuspended holds the taskCompleted after it (no actions); executionResumed "
               "releases it in a later turn",
               CHAIN_DFL, {"Chain": Chain})
    a = v.start(4)
    v.turn([E.suspended(), E.task_completed(a[0], 5)])
    a = v.turn([E.resumed()])
    a = v.turn([E.task_completed(a[0], 10)])
    v.turn([E.task_completed(a[0], "v=10")])
    return v


@vector
def resume_without_suspend():
    v = Vector("resume_without_suspend", "Chain", "chain-6",
               "executionResumed while not suspended: \"Don't know how to handle event of type "
               "'executionResumed'\" -> FAILED",
               CHAIN_DFL, {"Chain": Chain})
    v.start(4)
    v.turn([E.resumed()])
    return v


@vector
def generic_event_ignored():
    v = Vector("generic_event_ignored", "Chain", "chain-7",
               "genericEvent (informational) is ignored; historyState is not: see "
               "unhandled_event_type",
               CHAIN_DFL, {"Chain": Chain})
    a = v.start(4)
    a = v.turn([E.generic("rewind marker"), E.task_completed(a[0], 5)])
    a = v.turn([E.task_completed(a[0], 10)])
    v.turn([E.task_completed(a[0], "v=10")])
    return v


@vector
def unhandled_event_type():
    v = Vector("unhandled_event_type", "Chain", "chain-8",
               "a historyState event: \"Don't know how to handle event of type 'historyState'\" "
               "-> FAILED with OrchestrationStateError",
               CHAIN_DFL, {"Chain": Chain})
    v.start(4)
    v.turn([E.history_state()])
    return v


@vector
def empty_new_events():
    v = Vector("empty_new_events", "Chain", "chain-9",
               "a request with no newEvents at all: execute() raises OrchestrationStateError "
               "(the only vector where the SDK raises instead of returning actions)",
               CHAIN_DFL, {"Chain": Chain})
    v.start(4)
    v.turn(orchestrator_started=False)
    return v


# --------------------------------------------------------------------------------------------


def main() -> int:
    installed = getattr(durabletask, "__version__", None)
    try:
        from importlib.metadata import version
        installed = version("durabletask")
    except Exception:
        pass
    if installed != SDK_VERSION:
        print(f"warning: durabletask {installed} installed, vectors were made with {SDK_VERSION}",
              file=sys.stderr)
    index = []
    names = set()
    for make in VECTORS:
        v = make()
        assert v.name not in names, v.name
        names.add(v.name)
        index.append(v.write())
    # remove directories of vectors that no longer exist
    for entry in sorted(os.listdir(OUT)):
        p = os.path.join(OUT, entry)
        if os.path.isdir(p) and entry not in names and os.path.exists(os.path.join(p, "program.dfl")):
            shutil.rmtree(p)
    with open(os.path.join(OUT, "index.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(dump({"durabletask": SDK_VERSION, "vectors": index}))
    print(f"{len(index)} vectors, {sum(v['turns'] for v in index)} turns written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
