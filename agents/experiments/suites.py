"""The claim suite: what ``pixelarena compare --suite claim [--budget cpu|gpu]`` runs, as one table.

Each experiment trains every encoder spec (``encoder[:obs]``, as ``compare --encoders`` takes them) on its game
for ``steps[budget]`` env steps with seeds 0 .. ``seeds``-1, into ``runs/claim-<budget>/<key>/``, and writes
its report there. Training settings other than steps (PPO, number of envs, encoder options) come from each
encoder's preset, as for ``pixelarena train``. A transfer entry trains nothing: it evaluates the final policies
of another experiment on other game settings, one key varied at a time (stored in those runs' transfer.json).
``runs/claim-<budget>/report.md`` puts every experiment's tables and plots on one page.

Budgets. cpu: sized for 2 CPU cores (a few hours with --jobs 2): Chase and Snake at 300k steps, where the arms
seen from the player learn past the scripted policy on Chase; Target at 60k and Swarm at 120k, where the U-Net
learns; E6 (Chase on 24x24 maps) at 200k, where the cnn on the whole 47x47 view takes ~26 minutes a run;
3 seeds. Each equal-wall-clock experiment trains the
arms that are faster per step than its claim arm for the seconds that arm took (``compare.equal_seconds``).
gpu: larger step targets for a GPU machine; not run in full yet. ``pixels`` is the ablation of the colour and cell
stems (nets/stems.py) behind docs/pixels.md.
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
    eval_episodes: int = 32
    """Games of the final evaluation (and of each best-policy evaluation) of every run."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Budget name -> seconds of training per run (``--seconds``), ``steps`` then being only a cap; used only until
    the reference experiment's claim arm has finished runs, whose mean training seconds are the limit then."""
    seconds_of: str = ""
    """Key of the experiment whose reference arm's training seconds this one gives every arm (equal wall-clock)."""
    claim: str = ""
    """The encoder spec the claim is about (the suite's summary sets it against the strongest state-based arm)."""


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


# The arms of the first claim, like for like: convolution on pixels seen from the player (the whole map centred on it,
# and its 11x11 crop), an MLP on the one-hot cells of the same views (PufferLib's Snake policy), the entity rows a
# careful engineer would build (relative to the player, nearest first) read by Deep Sets, the packed vector, and the
# cnn on the map's fixed frame, which must find the player before a local decision means anything.
_LOCAL_ARMS = ("cnn:pixels@ego", "cnn:pixels@ego5", "impala:pixels@ego5", "mlp:grid@ego", "mlp:grid@ego5",
               "sets:entities", "mlp:vector", "cnn:pixels@map")  # fmt: skip
# Snake leaves out the arms of the whole centred view and IMPALA (the costliest on a CPU; Chase measures them).
_SNAKE_ARMS = tuple(arm for arm in _LOCAL_ARMS if not arm.endswith("@ego") and not arm.startswith("impala"))
_LOCAL_CLAIM = "cnn:pixels@ego5"  # the presets' agent: the cnn on the 11x11 crop centred on the player
# At equal seconds: the state-based arms faster per step than the claim arm, given the mean seconds its
# equal-steps runs took (compare.equal_seconds): the MLP on the same crop's cells, and Deep Sets.
_LOCAL_FAST = ("mlp:grid@ego5", "sets:entities")
_CHEAP: dict[str, int] = {}  # every arm 3 seeds
# E6, where convolution should be necessary: Chase on a 24x24 map, where the two coins lie beyond the 11x11 crop most
# of the time (the scripted policy scores 10.02 seeing the whole map and 3.87 seeing only the crop; docs/results.md).
# Every arm is seen from the player: the whole map centred on it (47x47), the crop, and the crop with the minimap
# (the whole map pooled 5-fold to 11x11, envs/minimap.py), each read by the cnn and by an MLP on one-hot cells; and
# Deep Sets on entity rows, which hold every object whatever the distance.
_LARGE_ARMS = ("cnn:pixels@ego", "mlp:grid@ego", "cnn:pixels@ego5", "mlp:grid@ego5", "cnn:pixels@ego5m5",
               "mlp:grid@ego5m5", "sets:entities")  # fmt: skip
_LARGE_CLAIM = "cnn:pixels@ego5m5"
# At equal seconds: every arm faster per step than the claim arm (all but the cnn on the whole 47x47 view).
_LARGE_FAST = ("mlp:grid@ego", "cnn:pixels@ego5", "mlp:grid@ego5", "mlp:grid@ego5m5", "sets:entities")
_WHERE_ARMS = ("mlp:vector", "cnn:pixels", "impala:pixels", "unet:pixels")

# fmt: off
CLAIM = Suite(
    name="claim",
    experiments=(
        Experiment(
            "e1-chase", "E1 Chase: pixels against the strongest vector, equal env steps",
            "Seen from the player as its entity rows are, does a convolutional encoder on pixels learn Chase's local "
            "dodging better than networks on the game state: an MLP on the one-hot cells of the same view, Deep Sets "
            "over entity rows relative to the player, an MLP on the packed vector? And what does the map's fixed "
            "frame cost the cnn?",
            env="Chase", encoders=_LOCAL_ARMS, steps={"cpu": "300k", "gpu": "2M"}, seeds=3,
            seeds_by_spec=_CHEAP, eval_episodes=100, claim=_LOCAL_CLAIM,
        ),
        Experiment(
            "e1-chase-seconds", "E1 Chase at equal wall-clock: the state-based arms given the cnn's seconds",
            "Given as many seconds of training as the cnn on the crop takes for E1's steps, do the state-based arms "
            "that are faster per step (the MLP on the same crop's cells, Deep Sets) catch up or pass it?",
            env="Chase", encoders=_LOCAL_FAST, steps={"cpu": "20M", "gpu": "60M"}, seconds={"cpu": 90, "gpu": 900},
            seeds=3, eval_episodes=100, seconds_of="e1-chase",
        ),
        Experiment(
            "e5-snake", "E5 Snake: pixels against the strongest vector, equal env steps",
            "Does the same hold on Snake, the other game of local decisions (a growing body to avoid)?",
            env="Snake", encoders=_SNAKE_ARMS, steps={"cpu": "300k", "gpu": "2M"}, seeds=3,
            seeds_by_spec=_CHEAP, eval_episodes=100, claim=_LOCAL_CLAIM,
        ),
        Experiment(
            "e5-snake-seconds", "E5 Snake at equal wall-clock: the state-based arms given the cnn's seconds",
            "Given the seconds the cnn on pixels takes for E5's steps, do the state-based arms catch up?",
            env="Snake", encoders=_LOCAL_FAST, steps={"cpu": "20M", "gpu": "60M"}, seconds={"cpu": 90, "gpu": 900},
            seeds=3, eval_episodes=100, seconds_of="e5-snake",
        ),
        Experiment(
            "e6-large", "E6 Chase on 24x24 maps: far goals, the crop, the whole view and the minimap",
            "On a map where the coins usually lie beyond an 11x11 crop, does convolution become necessary: can an "
            "MLP on one-hot cells read the whole 47x47 centred view, what does the crop miss, and does the crop with "
            "a pooled minimap reach the whole view's score at the crop's cost?",
            env="Chase", env_kwargs=("size=24",), encoders=_LARGE_ARMS, steps={"cpu": "200k", "gpu": "2M"}, seeds=3,
            eval_episodes=100, claim=_LARGE_CLAIM,
        ),
        Experiment(
            "e6-large-seconds", "E6 at equal wall-clock: the arms faster per step given the minimap cnn's seconds",
            "Given as many seconds as the cnn on the crop and minimap takes for E6's steps, do the arms that are "
            "faster per step (every MLP, the cnn on the crop alone, Deep Sets) catch up or pass it?",
            env="Chase", env_kwargs=("size=24",), encoders=_LARGE_FAST, steps={"cpu": "20M", "gpu": "60M"},
            seconds={"cpu": 240, "gpu": 900}, seeds=3, eval_episodes=100, seconds_of="e6-large",
        ),
        Experiment(
            "e2-target", "E2 Target: pixels to pixels",
            "Does a U-Net with one logit per cell learn to click the target more easily than encoders that must "
            "output the target's cell index through a flat head (cnn, impala on pixels; mlp on the vector)?",
            env="Target", encoders=_WHERE_ARMS, steps={"cpu": "60k", "gpu": "1M"}, seeds=3, eval_episodes=100,
            claim="unet:pixels",
        ),
        Experiment(
            "e2-target-seconds", "E2 Target at equal wall-clock: the flat heads given the U-Net's seconds",
            "Given the seconds the U-Net takes for E2's steps, do the faster cnn and mlp catch up?",
            env="Target", encoders=("mlp:vector", "cnn:pixels"), steps={"cpu": "20M", "gpu": "60M"},
            seconds={"cpu": 110, "gpu": 600}, seeds=3, eval_episodes=100, seconds_of="e2-target",
        ),
        Experiment(
            "e3-swarm", "E3 Swarm: per-cell control",
            "Does a U-Net with a per-cell move head control many units better than flat heads that decode every "
            "cell's move from one feature vector (cnn, impala on pixels; mlp on the vector)?",
            env="Swarm", encoders=_WHERE_ARMS, steps={"cpu": "120k", "gpu": "2M"}, seeds=3, eval_episodes=100,
            claim="unet:pixels",
        ),
        Experiment(
            "e3-swarm-seconds", "E3 Swarm at equal wall-clock: the flat heads given the U-Net's seconds",
            "Given the seconds the U-Net takes for E3's steps, does the faster cnn catch up?",
            env="Swarm", encoders=("cnn:pixels",), steps={"cpu": "20M", "gpu": "60M"},
            seconds={"cpu": 220, "gpu": 1200}, seeds=3, eval_episodes=100, seconds_of="e3-swarm",
        ),
    ),
    transfers=(
        Transfer(
            "e4-transfer", "E4 transfer: Chase on other map sizes and enemy counts",
            "Do E1's policies, trained on 12x12 maps with 3 enemies, still play on other map sizes and enemy counts? "
            "Policies whose every layer is convolutional or pooled (cnn, impala, sets over entity rows) run on any "
            "size; an MLP on the vector cannot take another enemy count (its input length changes).",
            of="e1-chase",
            eval_env_kwargs=("size=8,16,24", "n_enemies=1,5,8"),
        ),
        Transfer(
            "e4-transfer-snake", "E4 transfer: Snake on other map sizes",
            "Do E5's policies, trained on 12x12 maps, play Snake on 8x8 and 16x16 maps and with 3 apples?",
            of="e5-snake",
            eval_env_kwargs=("size=8,16", "n_apples=3"),
        ),
        Transfer(
            "e4-transfer-target", "E4 transfer: Target on other map sizes",
            "Do E2's click policies find the target on 8x8 and 16x16 maps and among more decoys? Only a per-cell "
            "head has an action for every cell of another size.",
            of="e2-target",
            eval_env_kwargs=("size=8,16", "n_decoys=6"),
        ),
        Transfer(
            "e4-transfer-swarm", "E4 transfer: Swarm on other map sizes and unit counts",
            "Do E3's per-cell policies control units on 8x8 and 16x16 maps, and 3 or 10 units?",
            of="e3-swarm",
            eval_env_kwargs=("size=8,16", "n_units=3,10"),
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
