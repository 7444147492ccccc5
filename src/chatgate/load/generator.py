"""One generator process: its settings (from the environment) and what its scenario actions share.

The Locust side reads everything from the environment, so each locustfile also runs with plain
``locust -f`` (``chatgate load`` sets these for its child processes):

==============================  =====================================================================
``NARA_BASE_URL``,              each API's host (default: Locust's ``--host``)
``NAVIGABLE_BASE_URL``
``NARA_API_KEY``,               keys (default: the reference server's dev keys), sent where each spec's
``NAVIGABLE_API_KEY``           security scheme puts them
``NARA_AUTH_SCHEME``,           the security scheme to send each key in (default: the spec's first the
``NAVIGABLE_AUTH_SCHEME``       operation accepts; set by chatgate load when its probe found only another)
``NARA_USER_ID``                the caller's identity, for an API whose spec states one (the variable is
                                named after it: ``model.identity_variable()``)
``CHATGATE_ARRIVAL_RATE``       open model: arrivals per second for the whole run (unset: closed model)
``CHATGATE_POISSON``            ``1``: exponential gaps between arrivals
``CHATGATE_MAX_IN_FLIGHT``      open model: arrivals in flight at once, all processes together
``CHATGATE_WORKERS``            how many processes share the rate, the cap and ``--max-requests``
``CHATGATE_REQUEST_TIMEOUT``,   the deadlines, seconds (:class:`chatgate.options.Deadlines`; the stream
``CHATGATE_STREAM_IDLE_TIMEOUT``, deadlines default to the specs' stream ``liveness``)
``CHATGATE_STREAM_TIMEOUT``
``CHATGATE_VALIDATE_SAMPLE``    share of responses validated against the spec (default 1)
``CHATGATE_INTERVAL``           seconds per raw-data interval (default 1)
``CHATGATE_WARMUP``             seconds of warm-up, recorded apart
``CHATGATE_LATE_AFTER_MS``      open model: an arrival sent later than this after its time is late
``CHATGATE_MAX_REQUESTS``       stop issuing after this many arrivals (this process's share)
``CHATGATE_ABORT_ON_ERROR_RATE``  stop the run when the error rate passes this (after 20 requests)
``CHATGATE_RAW_DIR``            where the master (or the single process) writes the raw data
``CHATGATE_MESSAGE_LENGTHS``    sends: ``chars:weight,...`` (e.g. ``40:6,400:3,4000:1``), the length of the
                                request field with ``x-chatgate-role: message``
``CHATGATE_SCENARIO``,          the scenario and its run time (a worker checks the master's scenario
``CHATGATE_RUN_TIME``           against its own; its status file names the run time)
``CHATGATE_WORKER_STATUS``      a Locust worker writes its state there (``chatgate load --worker``)
==============================  =====================================================================

In a distributed run a worker takes every variable of :data:`PLAN_VARIABLES` from the master (the
plan, :mod:`chatgate.load.distributed`), its targets and keys from its own environment.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatgate.apis import API_NAMES, DEV_KEYS, DEV_NARA_KEYS, DEV_NARA_USER, ApiName, scheme_variable
from chatgate.contract_model import Operation, model_for
from chatgate.load.http import HostClient
from chatgate.load.operations import liveness
from chatgate.load.outcome import Outcome
from chatgate.load.recorder import Recorder
from chatgate.load.stream import StreamRules
from chatgate.load.validators import Validators
from chatgate.options import Deadlines

__all__ = ["PLAN_VARIABLES", "Arrival", "Generator", "Settings", "own_plan", "plan_from_json", "with_plan"]

DEFAULT_MAX_IN_FLIGHT = 2000
CLOSED_MODEL_CONNECTIONS = 4096
_DEV_IDENTITY: dict[str, Any] = {"nara": DEV_NARA_USER}  # the reference server's default identity
_TEXT = (
    "How do I keep a long conversation coherent when the history grows and older turns matter? "
    "Please answer with concrete steps, and mention what to measure. "
)


# The settings a worker takes from the master: everything that shapes the load.
PLAN_VARIABLES = (
    "CHATGATE_SCENARIO",
    "CHATGATE_ARRIVAL_RATE",
    "CHATGATE_POISSON",
    "CHATGATE_MAX_IN_FLIGHT",
    "CHATGATE_WORKERS",
    "CHATGATE_REQUEST_TIMEOUT",
    "CHATGATE_STREAM_IDLE_TIMEOUT",
    "CHATGATE_STREAM_TIMEOUT",
    "CHATGATE_VALIDATE_SAMPLE",
    "CHATGATE_INTERVAL",
    "CHATGATE_WARMUP",
    "CHATGATE_LATE_AFTER_MS",
    "CHATGATE_MAX_REQUESTS",
    "CHATGATE_ABORT_ON_ERROR_RATE",
    "CHATGATE_MESSAGE_LENGTHS",
    "CHATGATE_RUN_TIME",
)


def own_plan(env: Mapping[str, str]) -> dict[str, str]:
    """The plan of ``env`` (an unset variable travels as "", so a worker drops its own value)."""
    return {name: env.get(name, "") for name in PLAN_VARIABLES}


def plan_from_json(text: str) -> dict[str, str]:
    data = json.loads(text)
    return {str(k): str(v) for k, v in data.items() if k in PLAN_VARIABLES}


def with_plan(env: Mapping[str, str], plan: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the plan's variables over it (an empty one removed)."""
    out = dict(env)
    for name, value in plan.items():
        if value:
            out[name] = value
        else:
            out.pop(name, None)
    return out


def _num(name: str, default: float, env: Mapping[str, str] | None = None) -> float:
    raw = (os.environ if env is None else env).get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if value < 0 or math.isnan(value):
        raise ValueError(f"{name}={raw!r} must not be negative")
    return value


def _identities(env: Mapping[str, str], keys: Mapping[ApiName, str]) -> dict[str, Any]:
    """Each API's caller identity, for the APIs whose spec states one: its variable (``NARA_USER_ID``),
    else the identity of the reference server's dev key."""
    out: dict[str, Any] = {}
    for api in API_NAMES:
        model = model_for(api)
        variable, identity = model.identity_variable(), model.identity
        if variable is None or identity is None:
            continue
        raw = env.get(variable, "").strip()
        try:
            value = identity.parse(raw) if raw else DEV_NARA_KEYS.get(keys[api], _DEV_IDENTITY.get(api))
        except ValueError:
            raise ValueError(f"{variable}={raw!r} is not a valid {identity.name}") from None
        if value is not None:
            out[api] = value
    return out


def _deadlines(env: Mapping[str, str]) -> Deadlines:
    spec = liveness(API_NAMES)
    return Deadlines(
        request_s=_num("CHATGATE_REQUEST_TIMEOUT", spec.request_s, env) or spec.request_s,
        stream_idle_s=_num("CHATGATE_STREAM_IDLE_TIMEOUT", spec.stream_idle_s, env) or spec.stream_idle_s,
        stream_s=_num("CHATGATE_STREAM_TIMEOUT", spec.stream_s, env) or spec.stream_s,
    )


def _lengths(raw: str) -> tuple[tuple[int, float], ...]:
    if not raw.strip():
        return ((40, 6.0), (400, 3.0), (4000, 1.0))
    out = []
    for part in raw.split(","):
        chars, _, weight = part.partition(":")
        out.append((max(1, int(chars)), float(weight or 1)))
    return tuple(out)


@dataclass(frozen=True)
class Settings:
    """A generator process's configuration (see the module docstring for each variable)."""

    nara_base: str
    navigable_base: str
    nara_key: str
    navigable_key: str
    identities: Mapping[str, Any]  # api -> the caller's identity (APIs whose spec states one)
    schemes: Mapping[str, str]  # api -> the security scheme its key is sent in (unset: the spec's first)
    arrival_rate: float | None
    poisson: bool
    max_in_flight: int
    workers: int
    deadlines: Deadlines
    validate_sample: float
    interval_s: float
    warmup_s: float
    late_after_s: float
    max_requests: int | None
    abort_on_error_rate: float | None
    raw_dir: str | None
    message_lengths: tuple[tuple[int, float], ...] = field(default=((40, 1.0),))

    @classmethod
    def from_env(cls, host: str | None, env: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``env`` (default ``os.environ``; a Locust worker passes the master's plan
        over its own environment, ``chatgate.load.distributed.plan_env``)."""
        env = os.environ if env is None else env

        rate = _num("CHATGATE_ARRIVAL_RATE", 0.0, env)
        max_requests = int(_num("CHATGATE_MAX_REQUESTS", 0, env))
        abort = _num("CHATGATE_ABORT_ON_ERROR_RATE", -0.0, env)
        keys = {api: env.get(f"{api.upper()}_API_KEY") or DEV_KEYS[api] for api in API_NAMES}
        return cls(
            nara_base=(env.get("NARA_BASE_URL") or host or "").rstrip("/"),
            navigable_base=(env.get("NAVIGABLE_BASE_URL") or host or "").rstrip("/"),
            nara_key=keys["nara"],
            navigable_key=keys["navigable"],
            identities=_identities(env, keys),
            schemes={api: env[scheme_variable(api)] for api in API_NAMES if env.get(scheme_variable(api))},
            arrival_rate=rate or None,
            poisson=env.get("CHATGATE_POISSON") == "1",
            max_in_flight=int(_num("CHATGATE_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT, env))
            or DEFAULT_MAX_IN_FLIGHT,
            workers=max(1, int(_num("CHATGATE_WORKERS", 1, env))),
            deadlines=_deadlines(env),
            validate_sample=min(1.0, _num("CHATGATE_VALIDATE_SAMPLE", 1.0, env)),
            interval_s=max(0.2, _num("CHATGATE_INTERVAL", 1.0, env)),
            warmup_s=_num("CHATGATE_WARMUP", 0.0, env),
            late_after_s=_num("CHATGATE_LATE_AFTER_MS", 25.0, env) / 1000.0,
            max_requests=max_requests or None,
            abort_on_error_rate=abort if "CHATGATE_ABORT_ON_ERROR_RATE" in env else None,
            raw_dir=env.get("CHATGATE_RAW_DIR") or None,
            message_lengths=_lengths(env.get("CHATGATE_MESSAGE_LENGTHS", "")),
        )

    def share(self, total: int) -> int:
        """This process's share of a total split across the workers (rounded up)."""
        return max(1, -(-total // self.workers))


@dataclass
class Arrival:
    """One unit of work for a scenario action: when it was due (open model) and whose session it is."""

    intended: float | None
    identifier: str
    held_back: bool = False


class Generator:
    """What the actions of one generator process share: clients, validators, the recorder, the budget.

    ``outcome()`` starts a request (registered as in flight until ``done()``), so that requests cut at
    the stop are reported as ``unfinished`` rather than lost.
    """

    def __init__(self, settings: Settings, *, worker: int = 0, on_done: Callable[[Outcome], None]) -> None:
        self.settings = settings
        self.validators = Validators(settings.validate_sample)
        self.recorder = Recorder(worker=worker, warmup_until=time.perf_counter() + settings.warmup_s)
        self.rng = random.Random()
        self._on_done = on_done
        self._clients: dict[str, HostClient] = {}
        self._rules: dict[tuple[str, str], StreamRules] = {}
        self._bound: dict[tuple[str, str], dict[str, Any]] = {}
        self.in_flight: dict[int, Outcome] = {}
        self.budget = settings.share(settings.max_requests) if settings.max_requests else None
        self._lengths = [c for c, _ in settings.message_lengths]
        self._cum_weights = list(itertools.accumulate(w for _, w in settings.message_lengths))
        self._ids = itertools.count(1)
        self._id_prefix = f"{os.getpid():x}{random.getrandbits(32):08x}"
        self.stopped_early = ""

    def client(self, api: ApiName) -> HostClient:
        c = self._clients.get(api)
        if c is None:
            s = self.settings
            base, key = (s.nara_base, s.nara_key) if api == "nara" else (s.navigable_base, s.navigable_key)
            per_process = s.share(s.max_in_flight) + 8 if s.arrival_rate else CLOSED_MODEL_CONNECTIONS
            # where the spec's security scheme takes the key (<API>_AUTH_SCHEME: the one the probe found)
            placed = model_for(api).credentials(key, scheme=s.schemes.get(api))
            c = self._clients[api] = HostClient(
                base, placed.headers, query=placed.query, connections=per_process, deadlines=s.deadlines
            )
        return c

    def identity(self, api: str) -> Any:
        """The caller's identity on ``api`` (None when its spec states none)."""
        return self.settings.identities.get(api)

    def bound(self, api: str, op: Operation) -> dict[str, Any]:
        """``op``'s parameters bound to the caller's identity, with it (once per process and operation)."""
        key = (api, op.operation_id)
        found = self._bound.get(key)
        if found is None:
            found = self._bound[key] = model_for(api).identity_parameters(op, self.identity(api))
        return found

    def stream_rules(self, api: str, op: Operation) -> StreamRules:
        """``op``'s stream rules laid out for the hot path (once per process)."""
        key = (api, op.operation_id)
        rules = self._rules.get(key)
        if rules is None:
            assert op.stream is not None, f"{op.label} has no streamed answer"
            rules = self._rules[key] = StreamRules(api, op.stream)
        return rules

    def take(self) -> bool:
        """Take one request from the ``--max-requests`` budget; False when it is spent."""
        if self.budget is None:
            return True
        if self.budget <= 0:
            if not self.stopped_early:
                self.stopped_early = f"max requests reached ({self.settings.max_requests})"
            return False
        self.budget -= 1
        return True

    def outcome(self, name: str, arrival: Arrival | None = None) -> Outcome:
        """A new request; the first of an arrival carries its intended start (later ones are due at once)."""
        out = Outcome(name=name)
        if arrival is not None and arrival.intended is not None:
            out.intended, out.held_back = arrival.intended, arrival.held_back
            arrival.intended = None
        self.in_flight[id(out)] = out
        return out

    def done(self, out: Outcome) -> None:
        self.in_flight.pop(id(out), None)
        if out.intended is not None:
            self._arrived(out)
        self.recorder.record(out)
        self._on_done(out)

    def _arrived(self, out: Outcome) -> None:
        assert out.intended is not None
        warm = "warmup." if out.intended < self.recorder.warmup_until else ""
        c = self.recorder.counters
        c[warm + "sent"] += 1
        if out.held_back:
            c[warm + "held_back"] += 1
        elif out.sent - out.intended > self.settings.late_after_s:
            c[warm + "late"] += 1
        else:
            c[warm + "on_time"] += 1

    def cut_in_flight(self) -> None:
        """The run stopped: what is still in flight is ``unfinished`` (or never sent)."""
        now = time.perf_counter()
        for out in list(self.in_flight.values()):
            if out.sent:
                if out.intended is not None:
                    self._arrived(out)
                self.recorder.unfinished(out, now)
            elif out.intended is not None:
                self.recorder.not_sent(out.name, out.intended, "generator", now)
        self.in_flight.clear()

    def new_session(self) -> str:
        """A new session (conversation) id, unique per run (cheaper than a uuid4 per stream)."""
        return f"cg{self._id_prefix}{next(self._ids):x}"

    def message(self) -> str:
        """A message for a send, its length drawn from the message-length mix."""
        chars = self.rng.choices(self._lengths, cum_weights=self._cum_weights)[0]
        return (_TEXT * (chars // len(_TEXT) + 1))[:chars]
