"""Transfer evaluation: a finished run's greedy return on other game settings (map size, object counts).

Variants change one setting at a time around the run's own settings: ``size=8,16,24 n_enemies=1,5`` is five
variants (size=8, size=16, size=24, n_enemies=1, n_enemies=5), each applied on top of the run's env kwargs.
One key at a time, rather than the product of all keys, so that each column of the report's transfer table
answers one question (larger maps? more enemies?) and the cost grows with the sum of the value counts, not their
product.

Results go to the run's transfer.json, one entry per variant, written after each variant, so that running the
evaluation again only plays the missing variants. A policy that cannot act on a variant (a layer bound to the
map size: ``nets.SizeTransferError``) gets an entry with the reason instead of a score.

Compare runs this module in a subprocess per run: ``python -m pixelarena.agents.evaluation.transfer RUN VARIANT...``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from pixelarena.agents.checks import parse_kwargs
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.results import TransferEntry, TransferFailure
from pixelarena.agents.run.run_dir import RunDir


def expand_variants(items: Sequence[str]) -> list[str]:
    """``["size=8,16", "n_enemies=1"]`` -> ``["size=8", "size=16", "n_enemies=1"]``: one key varied at a time."""
    variants: list[str] = []
    for item in items:
        key, sep, values = item.partition("=")
        parts = [value.strip() for value in values.split(",")]
        if not sep or not key.isidentifier() or not all(parts):
            raise ValueError(f"--eval-env-kwargs takes key=value1,value2,... like size=8,16,24, got {item!r}")
        variants.extend(f"{key}={value}" for value in parts)
    repeated = sorted({v for v in variants if variants.count(v) > 1})
    if repeated:
        raise ValueError(f"--eval-env-kwargs lists {', '.join(repeated)} more than once")
    return variants


def check_variants(config: RunConfig, variants: Sequence[str]) -> None:
    """Fail now, naming the variant, on settings the game rejects (before anything trains)."""
    spec = config.env_spec()
    if not spec.builtin:  # an external env checks its kwargs when it is made, at evaluation time
        return
    for variant in variants:
        try:
            spec.with_kwargs(parse_kwargs([variant])).probe()
        except ValueError as error:
            raise ValueError(f"--eval-env-kwargs {variant} does not work on {config.env}: {error}") from None


def evaluate_transfer(run_dir: Path, variants: Sequence[str], device: str = "cpu") -> dict[str, TransferEntry]:
    """Evaluate the run's final policy on every variant not in its transfer.json yet; return all results.

    Each variant plays the run's ``eval_episodes`` greedy episodes, seeded as the run's final evaluation.
    """
    from pixelarena.agents.evaluation.evaluate import EVAL_SEED, evaluate_model
    from pixelarena.agents.run.model import load_trained
    from pixelarena.nets import SizeTransferError

    run = RunDir(run_dir)
    results = run.read_transfer()
    missing = [variant for variant in variants if variant not in results]
    if not missing:
        return results
    config, model = load_trained(run, device)
    for variant in missing:
        kwargs = parse_kwargs([variant])
        try:
            result = evaluate_model(model, config, config.eval_episodes, EVAL_SEED + config.seed, kwargs)
            results[variant] = result
            print(f"{variant}: mean return {result.summary()}")
        except SizeTransferError as error:
            results[variant] = TransferFailure({**config.env_kwargs, **kwargs}, str(error))
            print(f"{variant}: n/a ({error})")
        run.write_transfer(results)  # after each variant: a re-run plays only the missing ones
    return results


def main(argv: list[str]) -> int:
    """``python -m pixelarena.agents.evaluation.transfer RUN VARIANT...``: what compare runs per finished run."""
    if len(argv) < 2:
        print("usage: python -m pixelarena.agents.evaluation.transfer RUN key=value [key=value ...]", file=sys.stderr)
        return 2
    try:
        evaluate_transfer(Path(argv[0]), argv[1:])
    except ValueError as error:
        print(f"pixelarena: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
