"""Behaviour cloning: a run's own policy fitted to demonstrations before PPO (or instead of it).

The encoder and the action head learn the cross-entropy of the demonstrated actions, from stable-baselines3's
``policy.evaluate_actions(obs, actions)``, the call PPO's own update makes, so every head pixelarena has clones
unchanged: flat logits, click maps (Target) and per-cell choices with their action masks (Swarm). A fresh Adam of
its own does it: PPO's optimizer state is left as it was built.

Then the value head's last layer is fitted to each step's discounted return by least squares on the clone's
final features. Trained by gradient beside the actions, the value head did harm: on Target the returns of good
play (about 9 at gamma 0.9, against a fresh head's 0) were met by inflating the shared features, and the click map
stayed uniform (loss log 36) whatever the epochs; with the value's gradient kept out of the encoder, its head
could not follow the features changing under it (squared error 439 on Target after 10 epochs, against 3.3 from
the least-squares fit).

One episode in ten is held out (when there are ten or more), and the result reports how often the greedy policy
picks the demonstrated action on their states.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch.nn import functional as F

from pixelarena.agents.demos.dataset import DemoDataset

BATCH_SIZE = 256
MAX_RETURN = 1e9
"""Discounted returns beyond this are refused: float32 value heads lose them to overflow (the float32 maximum is
3.4e38, and their squares overflow long before)."""
HELD_OUT_EVERY = 10
"""Every tenth episode is held out to measure the clone on states it did not train on."""


@dataclass
class CloningResult:
    """What behaviour cloning did (a run's cloning.json)."""

    demos: str
    files: list[str]
    steps: int
    """Demonstration steps, held-out ones included."""
    train_steps: int
    held_out_steps: int
    epochs: int
    batch_size: int
    learning_rate: float
    policy_loss: float
    """Mean cross-entropy of the demonstrated actions over the last epoch."""
    value_loss: float
    """Mean squared error of the value head on the training steps, after its final least-squares fit."""
    held_out_agreement: float | None
    """Share of held-out choices where the greedy action is the demonstrated one (None: nothing held out). For
    per-cell actions, over the cells where the mask leaves a choice."""
    seconds: float
    cpu_seconds: float
    """CPU time of this process while cloning (all its threads): comparable on a machine shared with other work."""
    greedy_return: float | None = None
    """The cloned policy's greedy mean return on the run's selection games, when the run evaluates (--eval-every)."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def split_held_out(dataset: DemoDataset) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the steps to train on and of the held-out ones (every tenth episode; none with fewer than ten)."""
    episodes = int(dataset.episodes[-1]) + 1
    held = (dataset.episodes % HELD_OUT_EVERY == HELD_OUT_EVERY - 1) if episodes >= HELD_OUT_EVERY else None
    everything = np.arange(len(dataset))
    if held is None:
        return everything, everything[:0]
    return everything[~held], everything[held]


class _Batches:
    """Minibatches of the dataset as the policy reads them (observations transposed as SB3 does for images)."""

    def __init__(self, policy: Any, dataset: DemoDataset) -> None:
        self.policy, self.data = policy, dataset
        self.discrete = isinstance(policy.action_space, spaces.Discrete)

    def __call__(self, index: np.ndarray) -> dict[str, torch.Tensor | None]:
        device = self.policy.device
        obs = self.policy.obs_to_tensor(self.data.observations[index])[0]
        actions = torch.as_tensor(self.data.actions[index], device=device)
        masks = self.data.action_masks
        return {
            "obs": obs,
            "actions": actions.reshape(-1) if self.discrete else actions,
            "returns": torch.as_tensor(self.data.returns[index], device=device),
            "action_masks": None if masks is None else torch.as_tensor(masks[index], device=device),
        }


@torch.no_grad()
def fit_value_head(policy: Any, batches: _Batches, index: np.ndarray, chunk: int = 1024) -> float:
    """Fit the value head's last linear layer to the returns of ``index`` by least squares on the policy's final
    features (the best readout of those features, so PPO starts with values that fit the clone it continues);
    returns the mean squared error after the fit."""
    linear = [module for module in policy.value_net.modules() if isinstance(module, torch.nn.Linear)][-1]
    captured: list[torch.Tensor] = []
    hook = linear.register_forward_hook(lambda _, inputs, __: captured.append(inputs[0]))
    width = linear.in_features + 1
    gram, moment = torch.zeros(width, width, dtype=torch.float64), torch.zeros(width, dtype=torch.float64)
    try:
        for start in range(0, len(index), chunk):
            batch = batches(index[start : start + chunk])
            policy.predict_values(batch["obs"])
            x = torch.cat([captured.pop().double().cpu(), torch.ones(len(batch["returns"]), 1, dtype=torch.float64)], 1)
            gram += x.T @ x
            moment += x.T @ batch["returns"].double().cpu()  # type: ignore[union-attr]
    finally:
        hook.remove()
    ridge = 1e-6 * float(torch.trace(gram)) / width  # a little, for features that are constant or collinear
    solution = torch.linalg.solve(gram + ridge * torch.eye(width, dtype=torch.float64), moment)
    linear.weight.copy_(solution[:-1].reshape(linear.weight.shape).to(linear.weight))
    linear.bias.copy_(solution[-1:].to(linear.bias))
    return value_error(policy, batches, index, chunk)


@torch.no_grad()
def value_error(policy: Any, batches: _Batches, index: np.ndarray, chunk: int = 1024) -> float:
    """Mean squared error of the value head against the returns of ``index``."""
    total = 0.0
    for start in range(0, len(index), chunk):
        batch = batches(index[start : start + chunk])
        returns = batch["returns"]
        assert returns is not None
        total += F.mse_loss(policy.predict_values(batch["obs"]).flatten(), returns, reduction="sum").item()
    return total / max(len(index), 1)


@torch.no_grad()
def agreement(policy: Any, batches: _Batches, index: np.ndarray, chunk: int = 1024) -> float | None:
    """Share of choices on the states ``index`` where the greedy action is the demonstrated one; for per-cell
    actions with masks, over the cells where the mask allows more than one move. None for no states."""
    matches, count = 0, 0
    for start in range(0, len(index), chunk):
        batch = batches(index[start : start + chunk])
        masks = batch["action_masks"]
        distribution = policy.get_distribution(batch["obs"], **({} if masks is None else {"action_masks": masks}))
        greedy = distribution.mode().reshape(batch["actions"].shape)
        same = greedy == batch["actions"]
        if masks is not None and same.ndim == 2:  # per-cell: cells with a single allowed move do not count
            choices = masks.reshape(*same.shape, -1).sum(dim=-1) > 1
            matches += int((same & choices).sum())
            count += int(choices.sum())
        else:
            matches += int(same.sum())
            count += same.numel()
    return matches / count if count else None


class _Step:
    """One update on a minibatch: the cross-entropy of its actions, a fresh Adam; returns the cross-entropy."""

    def __init__(self, policy: Any, learning_rate: float, max_grad_norm: float) -> None:
        self.policy, self.max_grad_norm = policy, max_grad_norm
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=learning_rate, eps=1e-5)

    def __call__(self, batch: dict[str, torch.Tensor | None]) -> float:
        masks = {} if batch["action_masks"] is None else {"action_masks": batch["action_masks"]}
        _, log_prob, _ = self.policy.evaluate_actions(batch["obs"], batch["actions"], **masks)
        cross_entropy = -log_prob.mean()
        self.optimizer.zero_grad()
        cross_entropy.backward()
        torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
        self.optimizer.step()
        return cross_entropy.item()


def clone(
    policy: Any,
    dataset: DemoDataset,
    epochs: int,
    learning_rate: float,
    max_grad_norm: float,
    seed: int,
    batch_size: int = BATCH_SIZE,
    log: Callable[[str], None] = print,
) -> CloningResult:
    """Fit ``policy`` (a pixelarena SB3 policy, in place) to ``dataset``: ``epochs`` passes of the actions'
    cross-entropy, then the value head's least-squares fit to the returns.

    Args:
        policy: ``model.policy`` of a PPO or MaskablePPO.
        dataset: The demonstrations, in the policy's observation mode.
        epochs: Passes over the training steps.
        learning_rate: Adam's step size.
        max_grad_norm: Gradient-norm clip, as PPO's.
        seed: Seed of the minibatch order (numpy's own generator: torch's random state is left to PPO).
        batch_size: Steps per minibatch.
        log: Where progress lines go.
    """
    largest = float(np.abs(dataset.returns.astype(np.float64)).max(initial=0.0))
    if not np.isfinite(largest) or largest > MAX_RETURN:
        raise ValueError(f"--demos: the demonstrations' discounted returns reach {largest:.3g}; a value head cannot "
                         f"learn returns beyond {MAX_RETURN:.0e} (are the recorded rewards right?)")  # fmt: skip
    started, cpu_started = time.perf_counter(), time.process_time()
    train_index, held_out = split_held_out(dataset)
    batches = _Batches(policy, dataset)
    step = _Step(policy, learning_rate, max_grad_norm)
    rng = np.random.default_rng(seed)
    policy_loss, score = float("nan"), None
    try:
        for epoch in range(1, epochs + 1):
            policy.set_training_mode(True)
            order = rng.permutation(train_index)
            losses = [step(batches(order[start : start + batch_size])) for start in range(0, len(order), batch_size)]
            policy_loss = float(np.average(losses, weights=np.diff([*range(0, len(order), batch_size), len(order)])))
            policy.set_training_mode(False)
            score = agreement(policy, batches, held_out) if epoch == epochs or epoch % 5 == 0 else None
            held = f", held-out agreement {score:.1%}" if score is not None else ""
            log(f"cloning epoch {epoch}/{epochs}: action loss {policy_loss:.3f}{held} "
                f"({time.perf_counter() - started:.0f}s)")  # fmt: skip
    finally:
        policy.set_training_mode(False)
    value_loss = fit_value_head(policy, batches, train_index)
    if not (np.isfinite(policy_loss) and np.isfinite(value_loss)) or not all(
        torch.isfinite(p).all() for p in policy.parameters()
    ):  # PPO would start from weights that act on NaN: stop before anything is saved
        raise ValueError(f"--demos: behaviour cloning diverged (action loss {policy_loss:.3g}, value loss "
                         f"{value_loss:.3g}); try fewer --bc-epochs or check the recordings")  # fmt: skip
    log(f"value head fitted to the discounted returns by least squares: squared error {value_loss:.3f}")
    return CloningResult(
        demos="",
        files=[str(path) for path in dataset.files],
        steps=len(dataset),
        train_steps=len(train_index),
        held_out_steps=len(held_out),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        policy_loss=policy_loss,
        value_loss=value_loss,
        held_out_agreement=score,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
    )
