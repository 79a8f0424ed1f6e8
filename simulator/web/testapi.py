"""Test-only JSON endpoints of the served portal, for harnesses on the same machine.

Promises:

- :func:`testapi_routes` are mounted only when the app is made with ``test_api=True``;
  otherwise ``/test/...`` does not exist (404).
- Each answers 403 to any client whose address is not a literal loopback address,
  before reading the body, and 415 to a request that is not JSON (so a web page in
  the tester's browser cannot call it without a CORS preflight, never granted); each
  takes POST only (405 otherwise). No CSRF token and no session.
- ``POST /test/producers`` with a JSON object ``{user_name, agent_unique_id, email,
  password, home_state?, state_farm?}`` registers an account: 201 with
  ``{"user_name": ...}``; 400 naming the field that is missing, unknown, of the
  wrong type or out of the flows' bounds; 409 when the user name is taken. The
  bounds: a user name is 1 to 64 printable characters without a space or a comma
  (the username email lists names joined by ", ", and must read back), an Agent
  Unique ID nine digits (as the forms take it), an email address ``local@domain``,
  a password within the portal's password policy, a home state one it offers.
- ``POST /test/clock`` with ``{"minutes": number >= 0}`` advances the portal's clock
  (a simulated one, or the wall clock plus what was advanced): 204; 400 for a bad
  body; 409 when the portal runs on a real clock.
- ``POST /test/reset``: a new portal with no accounts and no sessions: 204; with
  ``{"variant": NAME}`` it runs a verification variant of portal.yaml (400 for a name
  portal.yaml does not have), with ``{"parameters": {NAME: N}}`` other values of
  ``lockout_threshold``, ``temporary_password_valid_minutes`` or
  ``auto_unlock_after_minutes`` (null: off), within the bounds the flows' loader
  holds them to (:data:`specs.loader.PARAMETER_BOUNDS`), or ``empty_login_counts`` and
  ``wrong_current_password_counts`` (true or false), until the next reset. With
  ``{"producers": [PRODUCER, ...]}`` (each as ``/test/producers`` takes it) the new
  portal has those accounts, registered in order: one request sets up a journey. The
  whole body is checked first: a bad producer (400, naming its position and field) or
  a user name given twice (409) changes nothing, the portal is not reset.
- ``POST /test/fired``: ``{"fired": [machine.id, ...]}``, the transitions of the flows
  fired since the last call (what a harness's coverage gate counts).
- Errors are JSON ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.mail.smtp_sink import is_valid_address
from simulator.portal.clock import AdvancingClock
from simulator.portal.forms import is_agent_unique_id, normalize_identifier
from simulator.web.security import is_loopback
from simulator.web.served import ServedPortal
from specs.loader import PARAMETER_BOUNDS
from specs.model import Parameters

__all__ = ["testapi_routes"]

MAX_CLOCK_MINUTES = 10 * 366 * 24 * 60  # ten years in one step is plenty
MAX_USER_NAME_CHARS = 64
_USER_NAME = re.compile(rf"[^\s,]{{1,{MAX_USER_NAME_CHARS}}}")
_REQUIRED = ("user_name", "agent_unique_id", "email", "password")
_OPTIONAL: dict[str, type] = {"home_state": str, "state_farm": bool}

Endpoint = Callable[[Request], Awaitable[Response]]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _loopback_only(handler: Callable[[Request], Awaitable[Response]]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        client = request.client
        if client is None or not is_loopback(client.host):
            return _error(403, "the test API answers only clients on this machine (loopback)")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            # A web page cannot send JSON cross-site without a CORS preflight, which
            # this API never grants: a page in the tester's browser cannot call it.
            return _error(415, "the test API takes JSON only (Content-Type: application/json)")
        try:
            return await handler(request)
        except _BadRequest as error:
            return _error(error.status, error.message)

    return endpoint


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise _BadRequest(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    return body


# The parameters a reset may change: the plain numbers of portal.yaml's parameters, and
# the behavioural readings its decisions set (true or false).
_SETTABLE = {
    "lockout_threshold": (int,),
    "temporary_password_valid_minutes": (int,),
    "auto_unlock_after_minutes": (int, type(None)),
}
_SETTABLE_READINGS = ("empty_login_counts", "wrong_current_password_counts")


def _parameter_changes(given: object) -> dict[str, object]:
    if not isinstance(given, dict):
        raise _BadRequest(400, "field 'parameters' must be an object")
    for name, value in given.items():
        if name in _SETTABLE_READINGS:
            if not isinstance(value, bool):
                raise _BadRequest(400, f"parameter {name!r} must be true or false")
            continue
        if name not in _SETTABLE:
            settable = ", ".join([*_SETTABLE, *_SETTABLE_READINGS])
            raise _BadRequest(400, f"parameter {name!r} cannot be set (settable: {settable})")
        if isinstance(value, bool) or not isinstance(value, _SETTABLE[name]):
            raise _BadRequest(400, f"parameter {name!r} must be a whole number")
        low, high = PARAMETER_BOUNDS[name]
        if isinstance(value, int) and not low <= value <= high:
            raise _BadRequest(400, f"parameter {name!r} must be {low} to {high:,}")
    return dict(given)


def _producer(body: object, parameters: Parameters, where: str = "") -> dict[str, Any]:
    """A producer's fields, checked (``where`` names it in a list, for the errors)."""
    if not isinstance(body, dict):
        raise _BadRequest(400, f"{where or 'the body'} must be a JSON object")
    unknown = sorted(set(body) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _BadRequest(400, f"{where}unknown field {unknown[0]!r}")
    for name in _REQUIRED:
        if not isinstance(body.get(name), str) or not body[name]:
            raise _BadRequest(400, f"{where}field {name!r} must be a non-empty string")
    if not is_valid_address(body["email"]):
        raise _BadRequest(400, f"{where}field 'email' must be an email address (local@domain)")
    for name, kind in _OPTIONAL.items():
        if name in body and not isinstance(body[name], kind):
            raise _BadRequest(400, f"{where}field {name!r} must be a {kind.__name__}")
    if not _USER_NAME.fullmatch(body["user_name"]) or not body["user_name"].isprintable():
        raise _BadRequest(
            400,
            f"{where}field 'user_name' must be 1 to {MAX_USER_NAME_CHARS} printable characters"
            " without spaces or commas",
        )
    if not is_agent_unique_id(body["agent_unique_id"]):
        raise _BadRequest(400, f"{where}field 'agent_unique_id' must be nine digits")
    if not parameters.password_policy.accepts(body["password"]):
        policy = parameters.password_policy
        raise _BadRequest(
            400,
            f"{where}field 'password' breaks the password policy ({policy.min_length} to"
            f" {policy.max_length} letters and digits)",
        )
    if "home_state" in body and body["home_state"].strip().upper() not in parameters.states:
        raise _BadRequest(
            400, f"{where}field 'home_state' must be one of {', '.join(parameters.states)}"
        )
    return body


def _producers(given: object, parameters: Parameters) -> list[dict[str, Any]]:
    if not isinstance(given, list):
        raise _BadRequest(400, "field 'producers' must be a list of producers")
    found = [_producer(p, parameters, f"producers[{i}]: ") for i, p in enumerate(given)]
    seen: set[str] = set()
    for producer in found:
        name = normalize_identifier(producer["user_name"])
        if name in seen:
            raise _BadRequest(409, f"user name {producer['user_name']!r} is given twice")
        seen.add(name)
    return found


def testapi_routes(served: ServedPortal) -> list[Route]:
    """The routes of the test API, acting on ``served``."""

    async def producers(request: Request) -> Response:
        body = _producer(await _json_object(request), served.portal.parameters)
        try:
            account = await run_in_threadpool(served.portal.register, **body)
        except ValueError as error:
            raise _BadRequest(409, str(error)) from None
        return JSONResponse({"user_name": account.user_name}, status_code=201)

    async def clock(request: Request) -> Response:
        body = await _json_object(request)
        minutes = body.get("minutes")
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int | float)
            or not math.isfinite(minutes)
            or not 0 <= minutes <= MAX_CLOCK_MINUTES
        ):
            raise _BadRequest(
                400, f"field 'minutes' must be a number of minutes, 0 to {MAX_CLOCK_MINUTES:,}"
            )
        if not isinstance(served.clock, AdvancingClock):
            raise _BadRequest(409, "this portal runs on a real clock, which cannot be advanced")
        served.clock.advance(minutes)
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        body = await _json_object(request) if await request.body() else {}
        unknown = sorted(set(body) - {"variant", "parameters", "producers"})
        if unknown:
            raise _BadRequest(400, f"unknown field {unknown[0]!r}")
        variant = body.get("variant")
        variants = {v.name: v for v in served.flow_set.portal.variants}
        if variant is not None and variant not in variants:
            raise _BadRequest(
                400, f"no variant {variant!r} in portal.yaml (it has: {', '.join(variants)})"
            )
        changes: dict[str, object] = dict(variants[variant].parameters) if variant else {}
        changes.update(_parameter_changes(body.get("parameters", {})))
        base = served.parameters or served.flow_set.portal.parameters
        parameters = replace(base, **changes) if changes else None  # type: ignore[arg-type]
        accounts = _producers(body.get("producers", []), parameters or base)

        def start_afresh() -> None:
            served.reset(parameters)
            for account in accounts:  # hashing each password takes a while: not on the loop
                served.portal.register(**account)

        await run_in_threadpool(start_afresh)
        return Response(status_code=204)

    async def fired(request: Request) -> Response:
        return JSONResponse({"fired": served.take_fired()})

    return [
        Route("/test/producers", _loopback_only(producers), methods=["POST"]),
        Route("/test/clock", _loopback_only(clock), methods=["POST"]),
        Route("/test/reset", _loopback_only(reset), methods=["POST"]),
        Route("/test/fired", _loopback_only(fired), methods=["POST"]),
    ]
