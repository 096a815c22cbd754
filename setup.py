"""One import name, ``pixelarena``, over the repository's folders: ``envs/`` installs as ``pixelarena.envs``,
``nets/`` as ``pixelarena.nets``, ``agents/`` as ``pixelarena.agents`` (setuptools' package-dir mapping; every
other setting is in pyproject.toml). The subpackages are found here, so a new folder needs no line anywhere."""

from setuptools import find_packages, setup

FOLDERS = ("envs", "nets", "agents")

setup(
    packages=["pixelarena", *(f"pixelarena.{name}" for name in find_packages(include=[f"{f}*" for f in FOLDERS]))],
    package_dir={"pixelarena": "pixelarena", **{f"pixelarena.{folder}": folder for folder in FOLDERS}},
)
