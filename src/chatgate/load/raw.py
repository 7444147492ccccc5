"""The raw data a load run keeps in its report directory, and the one writer and reader of it.

Layout (``<report-dir>/<scenario>/raw/``, format version ``RAW_VERSION``)::

    manifest.json         {"format": "chatgate-load-raw", "version": 1, "started": <epoch s>,
                           "interval_s", "warmup_s", "workers": [{"index", "id"}], "files": {...}}
    requests.jsonl.gz     line 1: {"format": "chatgate-load-requests", "version": 1, "fields": [...]}
                          then one JSON array per arrival, in the order of ROW_FIELDS
    intervals.jsonl.gz    one object per worker and interval: {"worker", "start", "end", "counters"}
    hdr/w<N>/<metric>.hlog  HdrHistogram interval logs (format 1.2, values in microseconds), one file
                          per metric and worker; ':' in a metric name is written as '@'
    workers-connected.json  a master's run only: the workers that connected, in order ([{"id", "at"}])

A master's manifest (``chatgate load --master``, or ``--workers N``) also holds what it saw of its
workers (``chatgate.load.distributed``): ``expected_workers`` (N), ``worker_targets`` ({index: the base
URLs that worker loaded}) and ``lost_workers``: one object per worker that left before the stop,
``{"index", "id", "cause": "no_heartbeat" | "quit" | "refused", "reason", "lost_at" (when the master
noticed, Unix s), "users" (its users then), "rejoined_at", "restored_at" (closed model: Locust gave its
users to the others)}``. Its data up to then stays in every file above; ``chatgate.load.lost`` derives
what was not delivered.

Rows (``ROW_FIELDS``): ``worker``, ``request_id`` (the ``X-Request-Id`` sent), ``name``, ``state``
(``ok``, ``error``, ``unfinished`` in flight when the run stopped, ``not_sent``), ``error`` (the error
class, or the ``not_sent`` cause: ``held_back`` (the in-flight cap stayed full), ``generator`` (the
generator never issued it)), ``intended`` and ``sent`` (Unix seconds; ``intended`` is null in the closed
model), ``status``, ``ttft_ms``, ``mean_gap_ms``, ``max_gap_ms`` (the gap before the terminal event
included), ``total_ms`` (from sent; for ``unfinished`` a lower bound), ``bytes``, ``events``,
``buffered`` (all events in one burst), ``warmup`` (intended or sent during ``--warmup``).

Both gzip files are concatenations of gzip members (one per flush), which every gzip reader reads as
one stream (``gzip.open``, ``zcat``, pandas). A reader checks ``version`` and reads fields by name.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from chatgate.metrics import Histogram

__all__ = [
    "RAW_VERSION",
    "ROW_FIELDS",
    "Batch",
    "RawWriter",
    "hlog_name",
    "read_counters",
    "read_hlogs",
    "read_manifest",
    "read_rows",
]

RAW_VERSION = 1
ROW_FIELDS = (
    "worker",
    "request_id",
    "name",
    "state",
    "error",
    "intended",
    "sent",
    "status",
    "ttft_ms",
    "mean_gap_ms",
    "max_gap_ms",
    "total_ms",
    "bytes",
    "events",
    "buffered",
    "warmup",
)


@dataclass(frozen=True)
class Batch:
    """One generator process's interval: histograms (base64 HDR), counters, and its rows (a gzip member).

    Its wire form (``wire()``/``from_wire``) travels from a Locust worker to the master inside Locust's
    own ``report_to_master`` messages.
    """

    worker: int
    start: float
    end: float
    hists: Mapping[str, tuple[str, int]]  # metric -> (encoded histogram, max value in us)
    counters: Mapping[str, int]
    rows: bytes

    def wire(self) -> dict[str, Any]:
        return {
            "w": self.worker,
            "s": self.start,
            "e": self.end,
            "h": {k: list(v) for k, v in self.hists.items()},
            "c": dict(self.counters),
            "r": self.rows,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Batch:
        hists = {str(k): (str(v[0]), int(v[1])) for k, v in dict(data.get("h", {})).items()}
        counters = {str(k): int(v) for k, v in dict(data.get("c", {})).items()}
        return cls(int(data["w"]), float(data["s"]), float(data["e"]), hists, counters, bytes(data["r"]))


def hlog_name(metric: str) -> str:
    return metric.replace(":", "@") + ".hlog"


class RawWriter:
    """Appends batches to the raw files (only in the Locust master, or the single local process)."""

    def __init__(self, root: Path, *, started: float, interval_s: float, warmup_s: float) -> None:
        self.root = root
        self.started = started
        self.interval_s = interval_s
        self.warmup_s = warmup_s
        self.workers: dict[int, str] = {}
        root.mkdir(parents=True, exist_ok=True)
        self._requests = open(root / "requests.jsonl.gz", "wb")  # noqa: SIM115 (closed in close())
        header = {"format": "chatgate-load-requests", "version": RAW_VERSION, "fields": list(ROW_FIELDS)}
        self._requests.write(gzip.compress(json.dumps(header).encode() + b"\n"))
        self._intervals = open(root / "intervals.jsonl.gz", "wb")  # noqa: SIM115
        self._hlogs: dict[tuple[int, str], IO[str]] = {}

    def add(self, batch: Batch, worker_id: str = "") -> None:
        self.workers.setdefault(batch.worker, worker_id)
        if batch.rows:
            self._requests.write(batch.rows)
        line = {"worker": batch.worker, "start": batch.start, "end": batch.end, "counters": batch.counters}
        self._intervals.write(gzip.compress(json.dumps(line).encode() + b"\n", compresslevel=5))
        for metric, (payload, max_us) in batch.hists.items():
            log = self._hlog(batch.worker, metric)
            start, length = batch.start - self.started, batch.end - batch.start
            log.write(f"{start:.3f},{length:.3f},{max_us / 1000.0:.3f},{payload}\n")

    def _hlog(self, worker: int, metric: str) -> IO[str]:
        log = self._hlogs.get((worker, metric))
        if log is None:
            path = self.root / "hdr" / f"w{worker}" / hlog_name(metric)
            path.parent.mkdir(parents=True, exist_ok=True)
            log = self._hlogs[(worker, metric)] = open(path, "w", encoding="ascii")  # noqa: SIM115
            iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started))
            log.write(
                f"#chatgate metric: {metric} (microseconds), worker {worker}\n"
                "#[Histogram log format version 1.2]\n"
                f"#[StartTime: {self.started:.3f} (seconds since epoch), {iso}]\n"
                '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'
            )
        return log

    def flush(self) -> None:
        self._requests.flush()
        self._intervals.flush()
        for log in self._hlogs.values():
            log.flush()

    def close(self, extra: Mapping[str, Any] | None = None) -> None:
        """Close every file and write ``manifest.json`` (last, so a manifest means complete files)."""
        self._requests.close()
        self._intervals.close()
        for log in self._hlogs.values():
            log.close()
        manifest = {
            "format": "chatgate-load-raw",
            "version": RAW_VERSION,
            "started": self.started,
            "interval_s": self.interval_s,
            "warmup_s": self.warmup_s,
            "workers": [{"index": i, "id": w} for i, w in sorted(self.workers.items())],
            "files": {"requests": "requests.jsonl.gz", "intervals": "intervals.jsonl.gz", "hdr": "hdr"},
            **(extra or {}),
        }
        (self.root / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def read_manifest(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    if data.get("format") != "chatgate-load-raw" or data.get("version") != RAW_VERSION:
        raise ValueError(f"{root}: not chatgate raw load data of version {RAW_VERSION}")
    return data


def read_rows(root: Path) -> Iterator[dict[str, Any]]:
    """Every per-request row, as a dict by field name."""
    with gzip.open(root / "requests.jsonl.gz", "rb") as fh:
        header = json.loads(fh.readline())
        fields = header["fields"]
        for line in fh:
            yield dict(zip(fields, json.loads(line), strict=True))


def read_counters(root: Path) -> Iterator[dict[str, Any]]:
    """Every ``{"worker", "start", "end", "counters"}`` interval record."""
    with gzip.open(root / "intervals.jsonl.gz", "rb") as fh:
        for line in fh:
            yield json.loads(line)


def read_hlogs(root: Path) -> Iterator[tuple[int, str, float, float, Histogram]]:
    """Every interval histogram: (worker, metric, start, end) in Unix seconds, and the histogram."""
    started = float(read_manifest(root)["started"])
    for path in sorted((root / "hdr").glob("w*/*.hlog")):
        worker = int(path.parent.name[1:])
        metric = path.name.removesuffix(".hlog").replace("@", ":")
        for line in path.read_text(encoding="ascii").splitlines():
            if not line or line[0] in '#"':
                continue
            start, length, _max, payload = line.split(",", 3)
            begin = started + float(start)
            yield worker, metric, begin, begin + float(length), Histogram.decode(payload)
