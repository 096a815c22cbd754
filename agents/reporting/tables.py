"""The tables of a comparison's report, each from the grouped runs alone (agents/reporting/records.py)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from pixelarena.agents.reporting.markdown import ci, format_duration, signed, table
from pixelarena.agents.reporting.records import RETURN, Group, RunRecord, iqm_with_ci
from pixelarena.agents.reporting.stats import probability_of_improvement, probability_of_improvement_ci
from pixelarena.agents.run.naming import encoder_label, view_label
from pixelarena.agents.run.results import EvalResult, TransferFailure


def _receptive_field(group: Group) -> str:
    facts = next((run.facts for run in group.runs if run.facts), None)
    if facts is None:
        return "?"
    return "global" if facts.receptive_field is None else f"{facts.receptive_field} px"


def score_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """Per encoder spec: the final score (IQM over seeds, 95% CI, mean; None before a seed finished), each seed's
    score, the architecture's facts and the training speed (None where unknown). W&B logs these rows as they are;
    :func:`score_table` prints them."""
    rows = []
    for group in groups:
        config, scores = group.runs[0].config, group.scores
        center, low, high = iqm_with_ci(scores) if scores else (None, None, None)
        facts = next((run.facts for run in group.runs if run.facts), None)
        sps = [s for s in (run.sps for run in group.finished) if s]
        walls = [run.metrics[-1]["wall_time"] for run in group.finished if run.metrics]
        rows.append({
            "arm": group.label, "encoder": encoder_label(config), "obs": f"{config.obs or 'native'}"
            f"{view_label(config.env_kwargs)}", "seeds done": len(scores), "seeds": len(group.runs), "IQM": center,
            "CI low": low, "CI high": high, "mean": float(np.mean(scores)) if scores else None,
            "per seed": " / ".join(signed(score) for score in scores) or "-",
            "params": facts.params if facts else None, "encoder params": facts.encoder_params if facts else None,
            "receptive field": _receptive_field(group), "FLOPs": facts.flops if facts else None,
            "SPS": float(np.mean(sps)) if sps else None, "training seconds": float(np.mean(walls)) if walls else None,
        })  # fmt: skip
    return rows


def score_table(groups: list[Group]) -> str:
    rows = []
    for row in score_rows(groups):
        if row["IQM"] is not None:
            score = [signed(row["IQM"]), ci(row["CI low"], row["CI high"]), signed(row["mean"])]
        else:
            score = ["n/a", "", ""]
        params, sps, seconds = row["params"], row["SPS"], row["training seconds"]
        facts = ["?" if params is None else f"{params:,}", row["receptive field"]]
        speed = ["?" if sps is None else f"{sps:,.0f}", "?" if seconds is None else format_duration(seconds)]
        rows.append([row["encoder"], row["obs"], f"{row['seeds done']}/{row['seeds']}", *score, row["per seed"],
                     *facts, *speed])  # fmt: skip
    header = ["encoder", "obs", "seeds done", "IQM", "95% CI", "mean", "per seed", "params", "receptive field",
              "SPS", "training time"]  # fmt: skip
    return table(header, rows, right={2, 3, 5, 7, 8, 9, 10})


STATE_OBS = ("vector", "entities")
"""Observations of the game state (not images): the arms the claim is measured against."""


def is_state_arm(group: Group) -> bool:
    """Whether an arm reads the game state with no convolution: the packed vector, entity rows, or an MLP on the
    one-hot cells of the grid (PufferLib's Snake policy; on a view centred on the player, the same view the
    pixels give the cnn)."""
    config = group.runs[0].config
    return config.obs in STATE_OBS or (config.obs == "grid" and config.encoder == "mlp")


def strongest_state_arm(groups: list[Group]) -> Group | None:
    """The state-based arm (:func:`is_state_arm`) with the highest IQM final score: the claim's baseline."""
    state = [group for group in groups if is_state_arm(group) and group.scores]
    return max(state, key=lambda group: iqm_with_ci(group.scores)[0], default=None)


def improvement_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """P(encoder > the strongest state-based arm) per encoder with its 95% CI; none without finished state runs."""
    baseline = strongest_state_arm(groups)
    if baseline is None:
        return []
    rows = []
    for group in groups:
        if group is baseline or not group.scores:
            continue
        low, high = probability_of_improvement_ci(group.scores, baseline.scores)
        rows.append({"arm": group.label, "baseline": baseline.label,
                     "P(improvement)": probability_of_improvement(group.scores, baseline.scores), "CI low": low,
                     "CI high": high, "seeds": len(group.scores), "baseline seeds": len(baseline.scores)})  # fmt: skip
    return rows


def improvement_table(groups: list[Group]) -> str | None:
    """:func:`improvement_rows` as Markdown; None without finished state runs."""
    baseline = strongest_state_arm(groups)
    if baseline is None:
        return None
    rows = [[row["arm"], f"{row['P(improvement)']:.2f}", f"{row['CI low']:.2f} .. {row['CI high']:.2f}",
             f"{row['seeds']} vs {row['baseline seeds']}"] for row in improvement_rows(groups)]  # fmt: skip
    return table([f"encoder spec vs {baseline.label}", "P(improvement)", "95% CI", "seeds"], rows, right={1, 3})


def equal_seconds(groups: list[Group]) -> float | None:
    """The training wall-clock the encoders are compared at: when the shortest finished run ended; None with
    fewer than two encoders finished."""
    done = [group for group in groups if group.finished]
    if len(done) < 2:
        return None
    return min(run.metrics[-1]["wall_time"] for group in done for run in group.finished if run.metrics)


def equal_time_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """Each encoder's training return (IQM over seeds, 95% CI) and env steps at :func:`equal_seconds`."""
    seconds = equal_seconds(groups)
    if seconds is None:
        return []
    rows = []
    for group in groups:
        at = [_at_time(run, seconds) for run in group.finished]
        returns, steps = [r for r, _ in at if r is not None], [s for _, s in at]
        if not returns:
            continue
        center, low, high = iqm_with_ci(returns)
        rows.append({"arm": group.label, "seconds": seconds, "training return": center, "CI low": low,
                     "CI high": high, "env steps": float(np.mean(steps))})  # fmt: skip
    return rows


def equal_time_table(groups: list[Group]) -> str | None:
    """:func:`equal_time_rows` as Markdown; None with fewer than two encoders finished."""
    seconds = equal_seconds(groups)
    if seconds is None:
        return None
    rows = [[row["arm"], signed(row["training return"]), ci(row["CI low"], row["CI high"]),
             f"{row['env steps']:,.0f}"] for row in equal_time_rows(groups)]  # fmt: skip
    header = ["encoder spec", f"training return at {format_duration(seconds)}", "95% CI", "env steps by then"]
    return table(header, rows, right={1, 3})


def _at_time(run: RunRecord, seconds: float) -> tuple[float | None, float]:
    rows = [row for row in run.metrics if RETURN in row]
    if not rows:
        return None, 0.0
    times = np.array([row["wall_time"] for row in rows])
    value = float(np.interp(seconds, times, [row[RETURN] for row in rows])) if times[0] <= seconds else None
    return value, float(np.interp(seconds, times, [row["step"] for row in rows]))


def _variants(groups: list[Group]) -> list[str]:
    seen: dict[str, None] = {}
    for group in groups:
        for run in group.runs:
            seen.update(dict.fromkeys(run.transfer))
    return list(seen)


TRAINING_SETTINGS = "training settings"


def transfer_table(groups: list[Group]) -> str | None:
    """IQM over seeds (95% CI) of the greedy return per variant, n/a with reasons listed below; None when no
    run was evaluated on other settings."""
    variants = _variants(groups)
    if not variants:
        return None
    rows, reasons = [], []
    for group in groups:
        row = [group.label, _cell([r.result for r in group.finished if r.result], len(group.runs))]
        failed: dict[str, str] = {}
        for variant in variants:
            entries = [r.transfer[variant] for r in group.runs if variant in r.transfer]
            errors = [entry.error for entry in entries if isinstance(entry, TransferFailure)]
            if errors:
                failed[variant] = errors[0]
                row.append("n/a")
            else:
                row.append(_cell([e for e in entries if isinstance(e, EvalResult)], len(group.runs)))
        if failed:
            reasons.append(f"- {group.label} on {', '.join(failed)}: {next(iter(failed.values()))}")
        rows.append(row)
    text = table(["encoder:obs", TRAINING_SETTINGS, *variants], rows, right=set(range(1, len(variants) + 2)))
    return text + ("\n\nn/a: the policy cannot act on that setting:\n\n" + "\n".join(reasons) if reasons else "")


def transfer_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """One row per encoder spec and game setting (the training settings, then each variant): the greedy return's
    IQM over seeds with its 95% CI, or the reason the policy cannot act there; none without variants."""
    variants = _variants(groups)
    if not variants:
        return []
    rows = []
    for group in groups:
        settings = {TRAINING_SETTINGS: [run.result for run in group.finished if run.result]}
        for variant in variants:
            settings[variant] = [run.transfer[variant] for run in group.runs if variant in run.transfer]
        for setting, entries in settings.items():
            errors = [entry.error for entry in entries if isinstance(entry, TransferFailure)]
            means = [entry.mean for entry in entries if isinstance(entry, EvalResult)]
            center, low, high = iqm_with_ci(means) if means and not errors else (None, None, None)
            rows.append({"arm": group.label, "setting": setting, "IQM": center, "CI low": low, "CI high": high,
                         "seeds": 0 if errors else len(means), "runs": len(group.runs),
                         "n/a": errors[0] if errors else ""})  # fmt: skip
    return rows


def _cell(results: list[EvalResult], runs: int) -> str:
    if not results:
        return "-"
    center, low, high = iqm_with_ci([result.mean for result in results])
    partial = f", {len(results)} of {runs} seeds" if len(results) < runs else ""
    return f"{signed(center)} ({ci(low, high)}){partial}"


def settings_table(groups: list[Group]) -> str:
    rows = []
    for group in groups:
        c = group.runs[0].config
        rate = f"{c.ppo.learning_rate:g}" + (" linear" if c.ppo.lr_schedule == "linear" else "")
        clip = f"{c.ppo.clip_range:g}" + (" linear" if c.ppo.clip_schedule == "linear" else "")
        rows.append([group.label, c.preset or "-", f"{c.steps:,}", str(c.n_envs), rate, str(c.ppo.n_steps),
                     str(c.ppo.batch_size), str(c.ppo.n_epochs), f"{c.ppo.gamma:g}", f"{c.ppo.gae_lambda:g}", clip,
                     f"{c.ppo.ent_coef:g}", json.dumps(c.encoder_kwargs) if c.encoder_kwargs else "-"])  # fmt: skip
    header = ["encoder:obs", "preset", "steps", "envs", "learning rate", "n_steps", "batch", "epochs", "gamma",
              "gae lambda", "clip range", "ent coef", "encoder kwargs"]  # fmt: skip
    return table(header, rows, right=set(range(2, 12)))


def unfinished(groups: list[Group]) -> list[str]:
    lines = []
    for group in groups:
        for run in group.runs:
            if run.result is None:
                step = run.metrics[-1]["step"] if run.metrics else 0
                lines.append(f"- {run.run_dir.name}: step {step:,} of {run.config.steps:,}")
    return lines


def describe(groups: list[Group]) -> str:
    configs = [run.config for group in groups for run in group.runs]
    envs = sorted({c.env for c in configs})
    kwargs = sorted({json.dumps(c.env_kwargs, sort_keys=True) for c in configs})
    steps = sorted({c.steps for c in configs})
    seeds = sorted({c.seed for c in configs})
    episodes = sorted({c.eval_episodes for c in configs})
    if len(kwargs) == 1:
        settings = ", ".join(f"{k}={v}" for k, v in json.loads(kwargs[0]).items()) or "default settings"
    else:
        settings = "settings differ between runs: see the Settings table"
    return (
        f"{' / '.join(envs)} ({settings}), {' / '.join(f'{s:,}' for s in steps)} env steps per run, "
        f"seeds {', '.join(map(str, seeds))}, final evaluation over {' / '.join(map(str, episodes))} greedy episodes."
    )
