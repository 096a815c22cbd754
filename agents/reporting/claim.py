"""The claim's summary: each equal-steps experiment of a suite beside its equal-wall-clock one, arm by arm,
against the strongest state-based arm, and one sentence per reading saying whether the claim holds there.

The claim holds at a reading when the 95% CI of P(claim arm > strongest state-based arm) lies above 0.5, fails
when it lies below, and is not settled when it contains 0.5 (too few seeds, or arms too close to tell apart).
"""

from __future__ import annotations

import numpy as np

from pixelarena.agents.reporting.markdown import ci, format_duration, signed, table
from pixelarena.agents.reporting.records import Group, iqm_with_ci
from pixelarena.agents.reporting.stats import probability_of_improvement, probability_of_improvement_ci
from pixelarena.agents.reporting.tables import is_state_arm, strongest_state_arm

CLAIM_NOTE = (
    "Final score: greedy return of the run's best policy on held-out games, IQM over seeds (95% bootstrap CI). "
    "P(> strongest state): the chance that a seed of the arm beats a seed of the strongest state-based arm at the "
    "same reading (packed vector, entity rows or an MLP on one-hot cells, the one with the highest IQM), with its "
    "95% CI. Equal seconds: arms faster per step than the claim arm trained again with the seconds the claim arm's "
    "equal-steps runs took as a time limit (and as many best-policy evaluations per run); the claim arm's reading "
    "is its equal-steps run; arms not trained so are marked not run."
)


def _mean_seconds(group: Group) -> float | None:
    walls = [run.metrics[-1]["wall_time"] for run in group.finished if run.metrics]
    return float(np.mean(walls)) if walls else None


def _mean_steps(group: Group) -> float | None:
    steps = [run.metrics[-1]["step"] for run in group.finished if run.metrics]
    return float(np.mean(steps)) if steps else None


def _score(group: Group | None) -> str:
    if group is None or not group.scores:
        return "n/a"
    center, low, high = iqm_with_ci(group.scores)
    return f"{signed(center)} ({ci(low, high)})"


def _improvement(group: Group | None, baseline: Group | None) -> str:
    if group is None or baseline is None or not group.scores or group is baseline:
        return "-"
    low, high = probability_of_improvement_ci(group.scores, baseline.scores)
    return f"{probability_of_improvement(group.scores, baseline.scores):.2f} ({low:.2f} .. {high:.2f})"


def verdict(claim: Group | None, baseline: Group | None, reading: str) -> str:
    """One sentence: the claim arm against the strongest state-based arm at one reading (equal steps or seconds)."""
    if claim is None or baseline is None or not claim.scores or not baseline.scores:
        return f"{reading}: not measured yet."
    p = probability_of_improvement(claim.scores, baseline.scores)
    low, high = probability_of_improvement_ci(claim.scores, baseline.scores)
    gap = iqm_with_ci(claim.scores)[0] - iqm_with_ci(baseline.scores)[0]
    if low > 0.5:
        outcome = "the claim holds"
    elif high < 0.5:
        outcome = f"the claim does not hold: {baseline.label} wins"
    else:
        outcome = "not settled (the CI contains 0.5)"
    return (f"{reading}: {claim.label} {signed(iqm_with_ci(claim.scores)[0])} against {baseline.label} "
            f"{signed(iqm_with_ci(baseline.scores)[0])} (IQM gap {signed(gap)}), P(improvement) {p:.2f} "
            f"({low:.2f} .. {high:.2f}): {outcome}.")  # fmt: skip


def claim_table(title: str, claim_label: str, steps: list[Group], seconds: list[Group], limit: float | None) -> str:
    """The summary of one game: every arm at equal env steps and at equal seconds, and the two verdicts."""
    by_label = {group.label: group for group in seconds}
    claim_at_steps = next((group for group in steps if group.label == claim_label), None)
    # At equal seconds the claim arm's reading is its equal-steps run (its seconds are the limit).
    seconds_groups = [by_label.get(group.label, group) for group in steps]
    base_steps, base_seconds = strongest_state_arm(steps), strongest_state_arm(list(by_label.values()))
    if not any(is_state_arm(group) for group in seconds):
        # No state-based arm was given the seconds (Target, Swarm: the U-Net against flat heads): the claim arm is
        # read against the strongest arm that was.
        base_seconds = max((g for g in seconds if g.scores), key=lambda g: iqm_with_ci(g.scores)[0], default=None)
    rows = []
    for group, timed in zip(steps, seconds_groups):
        took, reached = _mean_seconds(timed), _mean_steps(timed)
        if timed is group and group.label != claim_label:
            # Not given the claim arm's seconds: its equal-steps run took other seconds, so it is no reading here.
            at_seconds = ["not run", "-", "-", "-"]
        else:
            at_seconds = [_score(timed), _improvement(timed, base_seconds), f"{reached:,.0f}" if reached else "?",
                          format_duration(took) if took else "?"]  # fmt: skip
        rows.append([group.label, f"{len(group.scores)}", _score(group), _improvement(group, base_steps),
                     *at_seconds])  # fmt: skip
    header = ["arm", "seeds", "equal steps: final score", "P(> strongest state)", "equal seconds: final score",
              "P(> strongest state)", "steps by then", "seconds"]  # fmt: skip
    lines = [
        f"**{title}**",
        table(header, rows, right={1, 6, 7}),
        "- " + verdict(claim_at_steps, base_steps, "Equal env steps"),
        "- " + verdict(claim_at_steps, base_seconds, "Equal seconds"),
    ]
    return "\n\n".join(lines)
