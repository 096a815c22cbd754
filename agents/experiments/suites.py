"""The claim suite: what ``pixelarena compare --suite claim [--budget cpu|gpu]`` runs, as one table.

Each experiment trains every encoder spec (``encoder[:obs]``, as ``compare --encoders`` takes them) on its game
for ``steps[budget]`` env steps with seeds 0 .. ``seeds``-1, into ``runs/claim-<budget>/<key>/``, and writes
its report there. Training settings other than steps (PPO, number of envs, encoder options) come from each
encoder's preset, as for ``pixelarena train``. A transfer entry trains nothing: it evaluates the final policies
of another experiment on other game settings, one key varied at a time (stored in those runs' transfer.json).
``runs/claim-<budget>/report.md`` puts every experiment's tables and plots on one page.

Budgets. cpu: E2 and E3 as measured on 2 CPU cores in docs/results/claim-cpu/ (2026-11-29; the U-Net runs are
the long poles, ~450 env steps/s on one core); E1 at 600k steps, where learning happens on Chase (at 120k no
encoder had left the random score), with the slow encoders on 3 seeds, and E1's vector MLP again for the cnn's
wall-clock (e1-chase-seconds). A cnn run of E1 takes ~10 min on one core, so E1 alone is ~2 h with --jobs 2.
gpu: sized for a GPU machine from single-seed runs (cnn on Chase: +10.4 greedy after 2.5M steps; unet on Swarm:
+135 training return after 856k); not run in full yet. ``pixels`` is the ablation of the colour and cell stems
(nets/stems.py) behind docs/pixels.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Experiment:
    key: str
    """Folder name under runs/claim-<budget>/, and the name --experiments selects."""
    title: str
    question: str
    """What the experiment tests, in one sentence (the report quotes it)."""
    env: str
    encoders: tuple[str, ...]
    steps: dict[str, str]
    """Budget name -> env steps per run."""
    env_kwargs: tuple[str, ...] = ()
    seeds: int = 5
    seeds_by_spec: dict[str, int] = field(default_factory=dict)
    """Fewer (or more) seeds for some encoder specs, e.g. the encoders that are 10x slower on a CPU."""


@dataclass(frozen=True)
class Transfer:
    key: str
    title: str
    question: str
    of: str
    """Key of the experiment whose final policies are evaluated."""
    eval_env_kwargs: tuple[str, ...]
    """Variants as ``compare --eval-env-kwargs`` takes them: key=value1,value2,..., one key varied at a time."""


@dataclass(frozen=True)
class Suite:
    name: str
    experiments: tuple[Experiment, ...]
    transfers: tuple[Transfer, ...] = ()

    @property
    def budgets(self) -> tuple[str, ...]:
        return tuple(self.experiments[0].steps)


# fmt: off
CLAIM = Suite(
    name="claim",
    experiments=(
        Experiment(
            "e1-chase", "E1 Chase: pixels vs packed vector for local decisions",
            "Does a convolutional encoder on pixels (or binary grids) learn Chase's local dodging better than an MLP "
            "on the whole state packed into a vector?",
            env="Chase",
            encoders=("mlp:vector", "mlp:pixels", "cnn:pixels", "cnn:grid", "impala:pixels", "unet:pixels"),
            steps={"cpu": "600k", "gpu": "2M"},
            seeds_by_spec={"impala:pixels": 3, "unet:pixels": 3},  # 2x and 10x slower than the cnn on a CPU
        ),
        Experiment(
            "e1-chase-seconds", "E1 Chase at equal wall-clock: the vector MLP given the cnn's seconds",
            "With as many seconds of training as the cnn on pixels takes for E1's steps (the MLP on the vector runs "
            "~6x more env steps per second on a CPU), does the packed vector catch up?",
            env="Chase",
            encoders=("mlp:vector",),
            steps={"cpu": "3.8M", "gpu": "12M"},
        ),
        Experiment(
            "e2-target", "E2 Target: pixels to pixels",
            "Does a U-Net with one logit per cell learn to click the target more easily than a CNN or an MLP on the "
            "vector that must output the target's cell index through a flat head?",
            env="Target",
            encoders=("mlp:vector", "cnn:pixels", "unet:pixels"),
            steps={"cpu": "40k", "gpu": "1M"},
        ),
        Experiment(
            "e3-swarm", "E3 Swarm: per-cell control",
            "Does a U-Net with a per-cell move head control many units better than flat heads that decode every "
            "cell's move from one feature vector (cnn, and mlp on the vector)?",
            env="Swarm",
            encoders=("mlp:vector", "cnn:grid", "unet:grid"),
            steps={"cpu": "100k", "gpu": "2M"},
        ),
    ),
    transfers=(
        Transfer(
            "e4-transfer", "E4 transfer: other map sizes and enemy counts",
            "Do E1's policies, trained on 12x12 maps with 3 enemies, still play on other map sizes and enemy counts? "
            "Policies whose every layer is convolutional or pooled (cnn, impala, unet) run on any size; an MLP on "
            "pixels cannot (n/a), nor can an MLP on the vector take another enemy count (its input length changes).",
            of="e1-chase",
            eval_env_kwargs=("size=8,16,24", "n_enemies=1,5,8"),
        ),
    ),
)
# fmt: on

# fmt: off
PIXELS = Suite(
    name="pixels",
    experiments=(
        Experiment(
            "chase-cell1", "Pixels ablation, Chase at 1 pixel per cell: colour stems",
            "Which colour stem lets the cnn learn Chase from its RGB frames (1 pixel per cell) as well as from binary "
            "object grids: raw RGB, a learned 1x1 MLP, a palette one-hot, or a quantised colour lookup? (The default, "
            "the lookup with the background read as zero, is E1's cnn:pixels.)",
            env="Chase",
            encoders=("cnn+stem=rgb:pixels", "cnn+stem=mlp:pixels", "cnn+stem=palette:pixels",
                      "cnn+stem=lookup:pixels"),
            steps={"cpu": "600k"},
            seeds=3,
        ),
        Experiment(
            "chase-cell3", "Pixels ablation, Chase at 3 pixels per cell: the cell stem",
            "Does a cell stem (one convolution with kernel = stride = 3) keep 36x36 frames as cheap and as learnable "
            "as 12x12 ones, with and without a colour stem, against stride-1 convolutions on the full frame?",
            env="Chase",
            env_kwargs=("cell_px=3",),
            encoders=("cnn+stem=rgb:pixels", "cnn+stem=lookup:pixels", "cnn:pixels", "cnn+stem=rgb+cell_px=1:pixels"),
            steps={"cpu": "600k"},
            seeds=3,
            seeds_by_spec={"cnn+stem=rgb+cell_px=1:pixels": 1},  # ~10x slower than the others on a CPU
        ),
    ),
)
# fmt: on

SUITES: dict[str, Suite] = {suite.name: suite for suite in (CLAIM, PIXELS)}


def section_titles() -> dict[str, tuple[str, str]]:
    """Folder key -> (title, question) over every suite, for reports rebuilt from a suite's folder."""
    return {
        entry.key: (entry.title, entry.question)
        for suite in SUITES.values()
        for entry in (*suite.experiments, *suite.transfers)
    }
