"""What a measurement ran on, in one line: the header of published reports and of benchmark tables."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine_description() -> str:
    """CPU model and the cores this process may use, and the GPU torch sees, in one line."""
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    software = f"{platform.system()}, Python {platform.python_version()}, torch {torch.__version__}"
    return f"{cores} CPU cores ({cpu}), {gpu}; {software}"
