"""The stems of nets/stems.py: which observations get a colour stem, what each stem computes, the cell stem's
sizes, and the env metadata that sets cell_px in training."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelarena import envs
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.model import build_model, make_vec_env
from pixelarena.nets import ENCODERS, PixelPolicy, architecture_facts
from pixelarena.nets.layout import describe_observation
from pixelarena.nets.stems import AUTO_STEM, LookupColourStem, PaletteStem, PassStem, is_rgb

RGB = spaces.Box(0, 255, (12, 12, 3), np.uint8)


def _chase(cell_px: int = 1, obs: str = "pixels", n: int = 8) -> envs.Chase:
    game = envs.Chase(n, obs=obs, cell_px=cell_px)
    game.reset(seeds=np.arange(n, dtype=np.uint64))
    return game


def _colours(x: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) uint8-valued floats -> the (B, 3, H, W) [0, 1] batch a stem reads."""
    return x.permute(0, 3, 1, 2) / 255


@pytest.mark.parametrize(
    ("space", "rgb"),
    [
        (RGB, True),
        (spaces.Box(0, 255, (3, 12, 12), np.uint8), True),
        (spaces.Box(0, 1, (3, 12, 12), np.uint8), False),  # a binary object grid with 3 kinds
        (spaces.Box(0, 255, (12, 12, 1), np.uint8), False),  # grey
        (spaces.Box(0.0, 1.0, (12, 12, 3), np.float32), False),  # float image: no palette to decode
        (spaces.Box(0, 255, (12, 12, 4), np.uint8), False),
    ],
)
def test_only_rgb_images_get_a_colour_stem(space: spaces.Box, rgb: bool) -> None:
    assert is_rgb(space, describe_observation(space)) is rgb
    encoder = ENCODERS["cnn"](space)
    assert isinstance(encoder.stem[0], PassStem) is not rgb
    if rgb:
        assert (
            type(encoder.stem[0]).__name__
            == {"lookup": "LookupColourStem", "foreground": "LookupColourStem"}[AUTO_STEM]
        )
        assert encoder.stem[0].zero_background is (AUTO_STEM == "foreground")


def test_colour_stems_refuse_other_observations() -> None:
    grid = spaces.Box(0, 1, (3, 12, 12), np.uint8)
    with pytest.raises(ValueError, match="reads RGB images"):
        ENCODERS["cnn"](grid, stem="lookup")
    with pytest.raises(ValueError, match="apply to images"):
        ENCODERS["mlp"](spaces.Box(0, 1, (7,), np.float32), stem="palette")
    with pytest.raises(ValueError, match="unknown stem 'hsv'"):
        ENCODERS["cnn"](RGB, stem="hsv")
    with pytest.raises(ValueError, match="cell_px=5 must be a positive divisor"):
        ENCODERS["cnn"](RGB, cell_px=5)


def test_lookup_gives_each_game_colour_its_own_vector() -> None:
    frame = torch.as_tensor(_chase().observe()).float()
    stem = LookupColourStem()
    out = stem(_colours(frame))
    assert out.shape == (8, 16, 12, 12)
    pixels = frame.reshape(-1, 3)
    vectors = out.permute(0, 2, 3, 1).reshape(-1, 16)
    colours, first = np.unique(pixels.numpy(), axis=0, return_index=True)
    assert len(colours) == 4  # background, coin, enemy, player
    distinct = vectors[torch.as_tensor(first)]
    cosine = torch.nn.functional.cosine_similarity(distinct[:, None], distinct[None], dim=2)
    off_diagonal = cosine[~torch.eye(len(colours), dtype=torch.bool)]
    assert off_diagonal.abs().max() < 0.9  # raw RGB: coin and enemy less the background have cosine 0.90
    for colour, vector in zip(pixels, vectors, strict=True):  # the same colour, the same vector
        assert torch.equal(vector, distinct[(torch.as_tensor(colours) == colour).all(dim=1)][0])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 255)] * 3), min_size=1, max_size=24, unique=True), st.integers(0, 10**6))
def test_palette_one_hot_per_pixel(colours: list[tuple[int, int, int]], seed: int) -> None:
    rng = np.random.default_rng(seed)
    image = np.asarray(colours, dtype=np.float32)[rng.integers(0, len(colours), (2, 5, 6))]
    x = _colours(torch.as_tensor(image))
    stem = PaletteStem(palette_size=16)
    stem.train()
    with torch.enable_grad():
        out = stem(x)
    assert out.shape == (2, 17, 5, 6)
    assert torch.equal(out.sum(dim=1), torch.ones(2, 5, 6))  # exactly one channel per pixel
    seen = {tuple(c) for c in image.reshape(-1, 3).astype(int)}
    known = min(len(seen), 16)
    assert int((stem.palette >= 0).sum()) == known
    assert int(out[:, :known].amax(dim=(0, 2, 3)).sum()) == known  # each known colour has its own channel
    assert bool(out[:, 16].any()) == (len(seen) > 16)  # the rest go to "other"


def test_palette_is_fixed_outside_training_and_saved_with_the_weights() -> None:
    frame = _colours(torch.as_tensor(_chase().observe()).float())
    stem = PaletteStem()
    stem.eval()
    assert torch.equal(stem(frame)[:, -1], torch.ones(8, 12, 12))  # nothing known yet: all "other"
    stem.train()
    with torch.no_grad():  # a dummy forward (shape inference) does not learn colours
        stem(frame)
    assert int((stem.palette >= 0).sum()) == 0
    with torch.enable_grad():
        stem(frame)
    assert int((stem.palette >= 0).sum()) == 4
    copy = PaletteStem()
    copy.load_state_dict(stem.state_dict())
    copy.eval()
    assert torch.equal(copy(frame), stem(frame))


def test_cell_stem_reads_one_position_per_cell() -> None:
    small, large = _chase(1), _chase(3)
    for name in ("cnn", "impala", "unet", "mlp"):
        one = ENCODERS[name](small.single_observation_space)
        three = ENCODERS[name](large.single_observation_space, cell_px=3)
        assert three.input_size == one.input_size == (12, 12)
        assert (
            three.read(torch.as_tensor(large.observe())).shape[1:]
            == one.read(torch.as_tensor(small.observe())).shape[1:]
        )
    facts_one = architecture_facts("cnn", small.single_observation_space, small.single_action_space)
    facts_three = architecture_facts("cnn", large.single_observation_space, large.single_action_space, cell_px=3)
    stride_one = architecture_facts("cnn", large.single_observation_space, large.single_action_space)
    # A 36x36 frame costs about what a 12x12 one does (+ the cell convolution), not 9x.
    assert facts_three.flops < 1.6 * facts_one.flops < 0.3 * stride_one.flops
    assert facts_three.receptive_field == 3 * facts_one.receptive_field  # in pixels: 3 per cell
    assert facts_three.transfers is True


def test_unet_click_head_on_a_cell_stem_keeps_one_logit_per_cell() -> None:
    target = envs.Target(2, obs="pixels", cell_px=3)
    target.reset(seeds=np.arange(2, dtype=np.uint64))
    policy = PixelPolicy(target.single_observation_space, target.single_action_space, lambda _: 0.0,
                         encoder="unet", encoder_kwargs={"cell_px": 3})  # fmt: skip
    logits = policy.get_distribution(torch.as_tensor(target.observe())).distribution.logits
    assert logits.shape == (2, target.height * target.width)


def test_games_declare_their_cell_size_for_pixels_only() -> None:
    assert gym.make("pixelarena/Chase-v0", obs="pixels", cell_px=3).metadata["cell_px"] == 3
    assert gym.make_vec("pixelarena/Chase-v0", num_envs=2, cell_px=2).metadata["cell_px"] == 2
    assert "cell_px" not in gym.make("pixelarena/Chase-v0", obs="grid").metadata
    config = RunConfig(env="Chase", encoder="cnn", obs="pixels", steps=64, seed=0, n_envs=2, device="cpu",
                       env_kwargs={"cell_px": 3})  # fmt: skip
    model = build_model(config, make_vec_env(config, 2, seed=0))
    assert model.policy.pixel.encoder_kwargs == {"cell_px": 3}
    assert model.policy.features_extractor.cell_px == 3


def test_stem_benchmark_runs_ppo_with_the_stem_and_cell_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from pixelarena.agents.bench import measure as bench
    from pixelarena.agents.bench import tables as bench_report

    assert (
        bench.ppo_steps_per_second(steps=512, n_envs=4, map_size=12, cell_px=3, encoder_kwargs={"stem": "lookup"}) > 0
    )
    measured = []

    def fake(**kwargs: object) -> float:
        measured.append(kwargs)
        return 1000.0 / len(measured)

    monkeypatch.setattr(bench_report, "ppo_steps_per_second", fake)
    table = bench_report.stems_table()
    assert len(measured) == len(bench_report.STEM_CASES)
    assert measured[-1]["encoder_kwargs"] == {"stem": "rgb", "cell_px": 1} and measured[-1]["cell_px"] == 3
    assert "| rgb | 3 | no (stride-1 convolutions on the frame) | 111 | 0.11 |" in table  # 1000 / 9 cases


@pytest.mark.parametrize("zero_background", [False, True])
def test_lookup_equals_an_embedding_of_the_quantised_colour(zero_background: bool) -> None:
    """The one-hot-times-rows implementation against the plain definition: F.embedding of the colour's bin, with
    each frame's most common bin zeroed for the foreground stem."""
    game = _chase(3, n=16)
    for _ in range(4):
        game.step(np.random.default_rng(0).integers(0, 5, 16))
    x = _colours(torch.as_tensor(game.observe()).float())
    stem = LookupColourStem(zero_background=zero_background)
    q = torch.clamp((x * 8).long(), 0, 7)
    index = (q[:, 0] * 8 + q[:, 1]) * 8 + q[:, 2]
    expected = torch.nn.functional.embedding(index, stem.table.weight)
    if zero_background:
        expected = expected * (index != torch.mode(index.flatten(1), dim=1).values.view(-1, 1, 1)).unsqueeze(-1)
    assert torch.equal(stem(x), expected.permute(0, 3, 1, 2))
    stem(x).sum().backward()
    assert stem.table.weight.grad is not None and int((stem.table.weight.grad.abs().sum(1) > 0).sum()) >= 3
