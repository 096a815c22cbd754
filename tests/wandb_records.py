"""Read W&B's offline run files back, record by record, as `wandb sync` would upload them.

An offline run's ``run-<id>.wandb`` is a LevelDB-style log (W&B's header ``:W&B`` + magic 0xBEE1 + version,
then 32 KiB blocks of records, each chunk with a 7-byte header: crc32c, length, type FULL/FIRST/MIDDLE/LAST)
of ``wandb.proto.wandb_internal_pb2.Record`` messages. wandb 0.31 has no Python reader of its own (its
``sdk.internal.datastore`` went with the Go core), so the tests read the format here.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wandb.proto import wandb_internal_pb2 as pb

BLOCK = 32 * 1024
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> Iterator[pb.Record]:
    data = Path(path).read_bytes()
    ident, magic, _version = struct.unpack("<4sHB", data[:7])
    assert ident == b":W&B" and magic == 0xBEE1, f"{path} is not a W&B run file"
    position, pending = 7, b""
    while position + 7 <= len(data):
        left = BLOCK - position % BLOCK
        if left < 7:  # a block's tail too short for a header is padding
            position += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if length == 0 and kind == 0:  # zero padding at the end of a block
            position += left
            continue
        if position + 7 + length > len(data):  # the last record of a killed process, cut short
            break
        pending += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (FULL, LAST):
            record = pb.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def _key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


@dataclass
class OfflineRun:
    """What one offline run folder holds for the W&B server."""

    folder: Path
    run: pb.RunRecord
    config: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, pb.MetricRecord] = field(default_factory=dict)
    artifacts: list[pb.ArtifactRecord] = field(default_factory=list)

    @property
    def steps(self) -> list[int]:
        return [row["_step"] for row in self.history]


def read_offline_run(folder: Path) -> OfflineRun:
    (path,) = Path(folder).glob("run-*.wandb")
    found: OfflineRun | None = None
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            config = {item.key: json.loads(item.value_json) for item in record.run.config.update}
            found = OfflineRun(Path(folder), record.run, config)
        elif found is None:
            continue
        elif kind == "config":
            found.config.update({_key(item): json.loads(item.value_json) for item in record.config.update})
        elif kind == "history":
            found.history.append({_key(item): json.loads(item.value_json) for item in record.history.item})
        elif kind == "summary":
            found.summary.update({_key(item): json.loads(item.value_json) for item in record.summary.update})
        elif kind == "metric":
            found.metrics[record.metric.name] = record.metric
        elif kind == "artifact":
            found.artifacts.append(record.artifact)
    assert found is not None, f"{path} has no run record"
    return found


def offline_runs(folder: Path) -> list[OfflineRun]:
    """Every offline run under ``folder`` (recursively), oldest first."""
    return [read_offline_run(path) for path in sorted(Path(folder).rglob("offline-run-*"), key=lambda p: p.name)]
