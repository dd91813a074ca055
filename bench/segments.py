"""A workflow history cut into what caused each part of it: the start, each action (an
update, with the workflow task that took it), each wake-up (a timer that fired) and each
signal; every event belongs to the cause before it (an activity's completion and the
workflow task after it belong to the action or wake-up that scheduled the activity).

A wake-up "sends" when it carried out effects: an activity, or a local activity (its
marker). One that sends nothing only moved the workflow's own state."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

CAUSES = {
    "WorkflowExecutionStarted": "start",
    "TimerFired": "wake",
    "WorkflowExecutionSignaled": "signal",
    "WorkflowExecutionUpdateAccepted": "action",
}
TASK = ("WorkflowTaskScheduled", "WorkflowTaskStarted", "WorkflowTaskCompleted")
EFFECTS = ("ActivityTaskScheduled", "MarkerRecorded")
ACTIVITY_ENDS = ("ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut",
                 "ActivityTaskCanceled")  # fmt: skip
CLOSED = ("WorkflowExecutionCompleted", "WorkflowExecutionFailed", "WorkflowExecutionTerminated",
          "WorkflowExecutionCanceled", "WorkflowExecutionContinuedAsNew",
          "WorkflowExecutionTimedOut")  # fmt: skip


def type_name(event: HistoryEvent) -> str:
    """EVENT_TYPE_WORKFLOW_TASK_SCHEDULED -> WorkflowTaskScheduled"""
    raw = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    return "".join(word.title() for word in raw.split("_"))


@dataclass
class Segment:
    cause: str
    events: list[str] = field(default_factory=list)
    size: int = 0  # bytes

    @property
    def sends(self) -> bool:
        return any(name in EFFECTS for name in self.events)


def segments(events: Iterable[HistoryEvent]) -> list[Segment]:
    cut: list[Segment] = []
    for event in events:
        name = type_name(event)
        cause = CAUSES.get(name)
        if cause is not None or not cut:
            segment = Segment(cause or "start")
            if cause == "action" and cut:  # the workflow task that took the update
                previous = cut[-1]
                taken = 0
                while taken < len(TASK) and previous.events and previous.events[-1] in TASK:
                    segment.events.insert(0, previous.events.pop())
                    taken += 1
            cut.append(segment)
        cut[-1].events.append(name)
        cut[-1].size += event.ByteSize()
    return cut


def settled(events: list[HistoryEvent]) -> bool:
    """Nothing under way: the latest workflow task completed (or the run closed) and no
    activity open. (A workflow task's commands are recorded after its completion; a
    timer firing or an update schedules a new task at once.)"""
    names = [type_name(event) for event in events]
    if names and names[-1] in CLOSED:
        return True
    tasks = [name for name in names if name in TASK]
    scheduled = names.count("ActivityTaskScheduled")
    ended = sum(names.count(name) for name in ACTIVITY_ENDS)
    return bool(tasks) and tasks[-1] == "WorkflowTaskCompleted" and scheduled == ended


@dataclass
class Shape:
    """What one history is made of."""

    events: int
    size: int
    by_type: Counter
    actions: list[int]  # events per action
    sending_wakes: list[int]  # events per wake-up that sent something
    silent_wakes: list[int]  # events per wake-up that sent nothing
    kinds: Counter  # (cause, its events in order) -> how many times: the profile

    @classmethod
    def of(cls, events: list[HistoryEvent]) -> "Shape":
        cut = segments(events)
        return cls(
            events=len(events),
            size=sum(event.ByteSize() for event in events),
            by_type=Counter(type_name(event) for event in events),
            actions=[len(s.events) for s in cut if s.cause == "action"],
            sending_wakes=[len(s.events) for s in cut if s.cause == "wake" and s.sends],
            silent_wakes=[len(s.events) for s in cut if s.cause == "wake" and not s.sends],
            kinds=Counter((s.cause, tuple(s.events)) for s in cut),
        )

    def profile(self) -> list[str]:
        """Each kind of segment, most frequent first: "6 x wake (6 events): TimerFired,
        WorkflowTaskScheduled, ..." (what a wake-up or an action costs, and why)."""
        return [
            f"{times} x {cause} ({len(events)} events): {', '.join(events)}"
            for (cause, events), times in self.kinds.most_common()
        ]
