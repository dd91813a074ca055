"""Scripted people: each drives one blog-post project to completion through the client
layer every way in uses (start, status, act), the way a person would: look at what the
project waits on, do it, think a while, and try again when Baton says it is unavailable.

What comes back is tallied: refusals (an action whose first try went through before a
fault), BatonErrors retried, and anything else, which is a bug of the client layer."""

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio.client import Client

from baton.contract import ChooseOption, CompleteStep, ReviewStep, StartProject
from baton.errors import BatonError, Refused
from starters import client
from starters.devstack import demo

CALL_TIMEOUT = 30.0  # a call stuck longer than this (a lost update) is tried again


@dataclass
class Tally:
    actions: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by reason
    retried: Counter[str] = field(default_factory=Counter)  # by BatonError kind
    unexpected: Counter[str] = field(default_factory=Counter)  # "call: exception type"
    samples: dict[str, str] = field(default_factory=dict)  # one message per unexpected


def blog_post(number: int, seed: int, today: date) -> StartProject:
    """The demo's blog post (its team and roles), one per actor, launching in 60 days so
    no reminder falls due while the suite runs."""
    return demo.demo_request(today).model_copy(
        update={
            "name": f"Faults {seed} post {number}",
            "slug": f"faults-{seed}-post-{number}",
            "launch_date": today + timedelta(days=60),
        }
    )


class Actor:
    def __init__(
        self,
        temporal: Client,
        task_queue: str,
        request: StartProject,
        rng: random.Random,
        think: tuple[float, float],
        tally: Tally,
    ) -> None:
        self.temporal = temporal
        self.task_queue = task_queue
        self.request = request
        self.rng = rng
        self.think = think
        self.tally = tally
        # Some projects go through a rework: the stakeholder rejects the outline once.
        self.reject_once = rng.random() < 0.3

    @property
    def workflow_id(self) -> str:
        return self.request.workflow_id

    async def run(self, start_after: float) -> None:
        """Until the project is completed (the caller bounds it with a deadline)."""
        await asyncio.sleep(start_after)
        try:
            await self._call("start", client.start_and_wait, self.request, self.task_queue)
        except Refused as refused:  # a start that went through before a fault
            self.tally.refused[_reason(refused)] += 1
        while True:
            status = await self._call("status", client.status, self.workflow_id)
            if status.state != "active":
                return
            command = self._next(status)
            if command is not None:
                try:
                    await self._call("act", client.act, self.workflow_id, command)
                    self.tally.actions += 1
                    if isinstance(command, ReviewStep) and not command.approve:
                        self.reject_once = False
                except Refused as refused:
                    self.tally.refused[_reason(refused)] += 1
            await asyncio.sleep(self.rng.uniform(*self.think))

    def _next(self, status):
        for step in status.steps:
            if step.state != "active" or not step.waiting_on:
                continue
            person = step.waiting_on[0]
            if step.kind == "approval":
                reject = self.reject_once and person == status.assignments.get("stakeholder")
                return ReviewStep(
                    step_id=step.id,
                    actor=person,
                    approve=not reject,
                    comment="tighter, please" if reject else None,
                )
            if step.kind == "decision":
                return ChooseOption(step_id=step.id, actor=person, option=step.options[0])
            return CompleteStep(step_id=step.id, actor=person, note="done")
        return None

    async def _call(self, what: str, function, *args):
        """One client call, tried again (every half second) while it fails with anything
        but a refusal; the kinds of failure are tallied."""
        while True:
            try:
                return await asyncio.wait_for(function(self.temporal, *args), CALL_TIMEOUT)
            except Refused:
                raise
            except BatonError as error:
                self.tally.retried[type(error).__name__] += 1
            except TimeoutError:
                self.tally.retried[f"{what} timed out"] += 1
            except Exception as error:  # not a BatonError: the client layer let it through
                kind = f"{what}: {type(error).__module__}.{type(error).__qualname__}"
                self.tally.unexpected[kind] += 1
                self.tally.samples.setdefault(kind, str(error)[:300])
            await asyncio.sleep(0.5)


def _reason(refused: Refused) -> str:
    return refused.message[:120]
