"""What ``--web`` serves: a run's agent (``play.py RUN --web``, with ``--follow`` a run still training), or a game
a person plays (``play.py --env GAME --human --web``), built as the window builds them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pixelarena.agents.viewer.controls import DEFAULT_SPEED
from pixelarena.agents.viewer.web.protocol import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:  # aiohttp is imported once it is known to be installed (check_web_installed)
    from pixelarena.agents.viewer.web.server import WebViewer


def check_web_installed() -> None:
    """A one-line error naming the extra when aiohttp is missing."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise ValueError("--web needs the web extra: pip install 'pixelarena[web]'") from None


def serve(server: WebViewer, what: str) -> None:
    """Serve until Ctrl-C, which ends in one line."""
    try:
        server.serve_forever(lambda url: print(f"Serving {what} at {url}  (Ctrl-C stops)", flush=True))
    except KeyboardInterrupt:
        print("Web viewer stopped.", flush=True)
        raise


def run_server(
    run_dir: Path,
    follow: bool = False,
    weights: str = "final",
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    overlay: str = "none",
    layer: int = 0,
    seed: int = 0,
    scale: int = 24,
    speed: float = DEFAULT_SPEED,
    human: bool = False,
    device: str = "cpu",
    record_demos: Path | None = None,
    token: str | None = None,
) -> WebViewer:
    """The server of a run's agent (see ``PlayArgs``); with ``follow``, the newest of the run's checkpoint and final
    weights, reloaded when a newer one lands (waiting for the first when there is none yet)."""
    from pixelarena.agents.run.model import load_weights
    from pixelarena.agents.run.run_dir import RunDir
    from pixelarena.agents.viewer.loop import agent_viewer
    from pixelarena.agents.viewer.web.follow import Follower, wait_for_weights

    check_web_installed()
    from pixelarena.agents.viewer.web.server import WebViewer

    run = RunDir(run_dir)
    if follow:
        run.read_config()  # not a run: one line now, not a wait for ever
        weights, _ = wait_for_weights(run)
    config, model, step = load_weights(run, device, weights)  # type: ignore[arg-type]
    viewer = agent_viewer(model, config, seed, scale, overlay, layer, speed, human, show_help=False,
                          screenshot_dir=run.screenshots)  # fmt: skip
    if record_demos is not None:
        from pixelarena.agents.viewer.session import record_demos as attach_recorder

        attach_recorder(viewer.session, config, record_demos, seed)
    path = run.weights_file(weights)
    follower = Follower(run, model.policy, step, path) if follow else None
    described = f"step {step:,} ({path.relative_to(run.path)})"
    return WebViewer(viewer, host, port, follower, described, token)


def game_server(
    env: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    seed: int | None = None,
    scale: int = 24,
    size: int | None = None,
    record_demos: Path | None = None,
    token: str | None = None,
) -> WebViewer:
    """The server of a pixelarena game played by a person (``--env GAME --human --web``); with ``record_demos``
    their steps are recorded as demonstrations, as the window records them."""
    import random

    from pixelarena import envs
    from pixelarena.agents.environments.env_spec import EnvSpec
    from pixelarena.agents.viewer.session import BuiltinSession

    check_web_installed()
    from pixelarena.agents.viewer.viewer import Viewer
    from pixelarena.agents.viewer.web.server import WebViewer

    spec = EnvSpec.parse(env)
    if spec.game is None:
        raise ValueError(f"--human --web plays pixelarena's games ({', '.join(envs.GAMES)}), not {env}")
    kwargs = {} if size is None else {"size": size}
    spec = spec.with_kwargs(kwargs)
    seed = random.randrange(2**31) if seed is None else seed  # a recording names its seed
    session = BuiltinSession(spec, seed, scale)
    if record_demos is not None:
        from pixelarena.agents.demos.record import SessionRecorder

        session.recorder = SessionRecorder(record_demos, spec.game.__name__, kwargs, "human", seed)
    speed = float(session.human_fps or DEFAULT_SPEED)  # a real-time game runs at its own pace
    viewer = Viewer(session, None, title=f"{spec.name} · you play", speed=speed, show_help=False,
                    screenshot_dir=Path("runs") / "screenshots")  # fmt: skip
    return WebViewer(viewer, host, port, token=token)
