"""The cancelation state machine, the same for an order and for one line item.

    open ──request──▶ cancelation_requested ──confirm──▶ canceled
      ▲                        │
      └────────reject──────────┘

Pure functions over immutable states: who may act is decided by the handlers, whether the
step is possible now is decided here (`Impossible` becomes a 422).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

OPEN = "open"
REQUESTED = "cancelation_requested"
CANCELED = "canceled"
STATUSES = (OPEN, REQUESTED, CANCELED)

# cancelation.status
ASKED = "requested"
CONFIRMED = "confirmed"
REJECTED = "rejected"

# The cancelation status each state allows (None: no cancelation was ever requested).
_CONSISTENT = {OPEN: (None, REJECTED), REQUESTED: (ASKED,), CANCELED: (CONFIRMED,)}
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class WorkflowError(ValueError):
    """A state that cannot exist (a fixture mistake)."""


class Impossible(Exception):
    """The step cannot be taken in the current state; the message says why."""


class Cancelation(NamedTuple):
    status: str
    requested_by: str
    requested_date: str
    resolved_by: str | None = None
    resolved_date: str | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


class State(NamedTuple):
    status: str
    cancelation: Cancelation | None = None

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "cancelation": self.cancelation._asdict() if self.cancelation else None}


_clock: tuple[int, str] = (-1, "")  # the last second formatted, and how


def now() -> str:
    """The current UTC second as a timestamp: formatted once a second, not for each change."""
    global _clock
    second = int(time.time())
    if second != _clock[0]:
        _clock = (second, time.strftime(TIMESTAMP_FORMAT, time.gmtime(second)))
    return _clock[1]


def check_state(state: State) -> None:
    """Raise `WorkflowError` unless `status` and `cancelation.status` agree."""
    if state.status not in STATUSES:
        raise WorkflowError(f"`status` must be one of {', '.join(STATUSES)}, not {state.status!r}")
    allowed = _CONSISTENT[state.status]
    found = state.cancelation.status if state.cancelation else None
    if found not in allowed:
        wanted = " or ".join("null" if a is None else repr(a) for a in allowed)
        raise WorkflowError(f"a {state.status!r} state needs cancelation status {wanted}, not {found!r}")
    if state.cancelation is not None:
        for name in ("requested_date", "resolved_date"):
            value = getattr(state.cancelation, name)
            if (value is not None or name == "requested_date") and not is_timestamp(value):
                raise WorkflowError(f"`cancelation.{name}` must be a quoted \"YYYY-MM-DDTHH:MM:SSZ\", not {value!r}")


def is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        time.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        return False
    return True


def request(state: State, what: str, by: str, at: str) -> State:
    """The retailer asks: open → cancelation_requested."""
    if state.status == CANCELED:
        raise Impossible(f"{what} cannot be canceled: it is already canceled")
    if state.status == REQUESTED:
        raise Impossible(f"{what} cannot be canceled: its cancelation is already requested")
    return State(REQUESTED, Cancelation(ASKED, by, at))


def _resolve(state: State, what: str, verb: str) -> Cancelation:
    if state.cancelation is None:
        raise Impossible(f"{what} cannot be {verb}: no cancelation was requested")
    if state.cancelation.status != ASKED:
        raise Impossible(f"{what} cannot be {verb}: its cancelation is already {state.cancelation.status}")
    return state.cancelation


def confirm(state: State, what: str, by: str, at: str) -> State:
    """The supplier agrees: cancelation_requested → canceled."""
    cancelation = _resolve(state, what, "confirmed")
    return State(CANCELED, cancelation._replace(status=CONFIRMED, resolved_by=by, resolved_date=at))


def reject(state: State, what: str, by: str, at: str, reason: str | None = None) -> State:
    """The supplier refuses: cancelation_requested → open, the refusal (and why) recorded."""
    cancelation = _resolve(state, what, "rejected")
    return State(OPEN, cancelation._replace(status=REJECTED, resolved_by=by, resolved_date=at, reason=reason))
