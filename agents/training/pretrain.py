"""``train --demos DIR``: behaviour cloning of the run's policy before PPO (agents/demos/cloning.py).

Called by the training path once the model is built and before PPO learns, unless the run already has a
checkpoint (a resumed run cloned before it was stopped, and its weights carry the clone). The result is written
to the run's cloning.json; with ``--eval-every`` the clone is the first candidate for the run's best policy, so
PPO has to beat it to replace it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixelarena.agents.demos.cloning import CloningResult, clone
from pixelarena.agents.demos.dataset import load_dataset
from pixelarena.agents.evaluation.evaluate import evaluate_model
from pixelarena.agents.run.checkpoint import save_checkpoint
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.run_dir import RunDir, write_json_atomically
from pixelarena.agents.training.best_policy import SELECTION_SEED


def pretrain(model: Any, config: RunConfig, run: RunDir) -> CloningResult:
    """Clone ``config.demos`` into ``model.policy`` for ``config.bc_epochs`` epochs and record the result."""
    assert config.demos and config.obs is not None
    dataset = load_dataset(Path(config.demos), config.env, config.env_kwargs, config.obs, config.ppo.gamma)
    print(f"Behaviour cloning from {config.demos}: {len(dataset):,} steps in {len(dataset.files)} file(s), "
          f"{config.bc_epochs} epochs")  # fmt: skip
    result = clone(model.policy, dataset, config.bc_epochs, config.ppo.learning_rate, config.ppo.max_grad_norm,
                   config.seed)  # fmt: skip
    result.demos = config.demos
    if config.eval_every:  # the clone is the best policy until PPO beats it on the same selection games
        score = evaluate_model(model, config, config.eval_episodes, SELECTION_SEED + config.seed).mean
        save_checkpoint(run.best_file, model.policy, None, 0, model.observation_space, model.action_space,
                        {"greedy_return": score})  # fmt: skip
        result.greedy_return = score
    agreement = "n/a" if result.held_out_agreement is None else f"{result.held_out_agreement:.1%}"
    greedy = "" if result.greedy_return is None else f", greedy return {result.greedy_return:+.2f}"
    print(f"Behaviour cloning done in {result.seconds:.1f}s: held-out agreement {agreement} on "
          f"{result.held_out_steps:,} steps{greedy}")  # fmt: skip
    write_json_atomically(run.cloning_file, result.to_json())
    return result
