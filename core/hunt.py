"""A bug hunt: one planted bug chosen for a file, and the learner's answer judged.

``start(path, seed)`` surveys the file (``planted.survey``: each canonical bug planted in the lecture
engine and kept only where the check finds it with its kind), then chooses with
``random.Random(seed)``: first a kind among those the file reveals (so each kind is as likely as any
other, however many ops it can be planted in), then one plant of that kind. The same file and the
same seed give the same bug on every run.

``judge(hunt, step, kind)`` compares the learner's answer, the step they marked as the first wrong
one and the kind they picked, with the check's verdict on the planted run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from .planted import PLANT_KINDS, PlantedRun, PlantKind, Survey, survey

SEED_LIMIT = 100_000
"""A seed chosen for the learner is below this: short enough to read off the screen and retype."""


class HuntError(Exception):
    """The file reveals none of the planted bugs; the message says why for each kind."""


@dataclass(frozen=True)
class Hunt:
    """One hunt: the file, the seed, the bug chosen and the survey it was chosen from."""

    path: str
    seed: int
    planted: PlantedRun
    survey: Survey

    @property
    def step(self) -> int:
        """The first wrong step of the planted run (1-based): the step to mark."""
        return self.planted.step

    @property
    def kind(self) -> PlantKind:
        return self.planted.plant.kind


Outcome = Literal["right", "step only", "kind only", "wrong"]


@dataclass(frozen=True)
class Judgement:
    """The learner's answer beside the planted bug."""

    outcome: Outcome
    marked_step: int
    picked_kind: str
    step: int
    kind: PlantKind
    message: str

    @property
    def right(self) -> bool:
        return self.outcome == "right"


def new_seed() -> int:
    """A seed for a hunt started without one (shown, so that the hunt can be replayed)."""
    return random.SystemRandom().randrange(SEED_LIMIT)


def choose(found: tuple[PlantedRun, ...], seed: int) -> PlantedRun:
    """A kind at random among those found, then a plant of that kind: repeatable for one seed."""
    rng = random.Random(seed)
    kinds = [k for k in PLANT_KINDS if any(run.plant.kind == k for run in found)]
    kind = rng.choice(kinds)
    return rng.choice([run for run in found if run.plant.kind == kind])


def cannot_reveal(path: str, hidden: tuple[tuple[PlantKind, str], ...]) -> str:
    """The message for a file that reveals none of the bugs: one line, then one per kind."""
    head = f"{path}: error: this file can reveal none of the planted bugs, so there is nothing to hunt"
    reasons = {why for _, why in hidden}
    if len(reasons) == 1:
        return f"{head}: {reasons.pop()}"
    lines = [head] + [f"  {kind}: {why}" for kind, why in hidden]
    lines.append("  (try a file where one node feeds two ops and an op feeds another, as examples/hunt.gs)")
    return "\n".join(lines)


def start(path: str, seed: int, name: str | None = None) -> Hunt:
    """Survey ``path`` and choose its bug with ``seed``; ``name`` is how the file is shown
    (default ``path``).

    Raises ``HuntError`` when the file reveals none, and what ``build`` raises for a bad file
    (``ExpressionError``, ``EngineError``).
    """
    found = survey(path, name)
    problem = found.correct.first_mismatch
    if problem is not None:  # the reference the learner's answer is judged against must hold
        raise HuntError(
            f"{found.path}: error: gradstep's lecture engine, without a bug planted, does not pass the "
            f"check on this file ({problem.kind}: {problem.message}), so no hunt is fair here; "
            "please report it"
        )
    if not found.found:
        raise HuntError(cannot_reveal(found.path, found.hidden))
    return Hunt(found.path, seed, choose(found.found, seed), found)


def judge(hunt: Hunt, marked_step: int, picked_kind: str) -> Judgement:
    """Compare the step marked and the kind picked with the planted run's first mismatch."""
    step, kind = hunt.step, hunt.kind
    step_ok, kind_ok = marked_step == step, picked_kind == kind
    if step_ok and kind_ok:
        outcome: Outcome = "right"
        message = f"Right: step {step} is the first wrong step, and the bug is {kind}."
    elif step_ok:
        outcome = "step only"
        message = (
            f"Half right: step {step} is the first wrong step, but the bug is {kind}, not {picked_kind}."
        )
    elif kind_ok:
        outcome = "kind only"
        message = f"Half right: the bug is {kind}, but the first wrong step is {step}, not {marked_step}."
    else:
        outcome = "wrong"
        message = (
            f"Wrong: the first wrong step is {step}, not {marked_step}, and the bug is {kind}, "
            f"not {picked_kind}."
        )
    return Judgement(outcome, marked_step, picked_kind, step, kind, message)
