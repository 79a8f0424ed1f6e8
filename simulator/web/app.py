"""The flows served as a web portal: a Starlette app over one in-process
:class:`~simulator.portal.portal.Portal`.

Promises:

- Each screen's page has its own address (:func:`~simulator.web.contract.screen_address`):
  Please Sign-In is the portal's address ``/``, every other page ``/`` and its
  screen's name (``/forgot-user-name``, ``/welcome``, ``/edit-profile``...); any other
  path is a 404. Without a live session a GET of ``/`` shows Please Sign-In under a
  pre-session (:class:`~simulator.web.sessions.PreSessions`): nothing is stored until
  the browser first posts, so cookie-less visits cost no session; a GET of another
  page's address without one is a 303 to ``/``.
- A GET shows the browser's page as it is when it is the redirect of the browser's last
  post or a reload of the page it shows (not ``/``). Any other GET, ``/`` (typed, a
  bookmark, Back to it) or a page the browser has left (Back, Forward, an old
  bookmark), is the portal's address opened in that browser: the flows' ``open_portal``
  trigger (Please Sign-In for a browser not signed in, the Welcome page for a signed-in
  one, decision portal-address), then a 303 to the page that follows when it has
  another address. A GET changes no account and sends no mail: at most it moves its own
  browser's session to the page the portal's address shows (a session a password change
  elsewhere ended is signed out there, as by any action).
- ``POST`` to a page's address takes the screen's fields, ``control`` and
  ``csrf_token``: it fills every field of the current screen (a field not posted is
  empty), clicks ``control`` and answers 303 to the address of the page that follows
  (post/redirect/get). It changes nothing and answers 403
  without a live session cookie or with a missing or wrong CSRF token; 409 with the
  current page when the form came from another screen (a stale tab); 400 for a
  control the flows give no click (e.g. "Register") or a form out of bounds
  (:mod:`simulator.web.formdata`); 413 for a body over 64 KiB; 415 for a body that is
  not a form; 503 (with Retry-After) while the outbox is full of mail the relay
  refused (:mod:`simulator.mail.outbox`). The mail a click makes is sent after the
  answer (:mod:`simulator.web.sendafter`).
- Signing in, and any click or GET that signs out, issues a new session id and CSRF token
  (:mod:`simulator.web.sessions`). The cookie ``rpp_session`` holds only that id:
  HttpOnly, SameSite=Lax, Path=/, Secure when the request came over https, no
  expiry date (the server expires it after an idle time).
- ``POST /logout`` (with ``csrf_token``) is "close the browser" (LOCK-5): the server
  forgets the session and the next ``GET /`` starts afresh. It has no button (the
  guide shows none); a GET of it answers 405 like every other wrong method.
- ``/static/portal.js`` and ``/static/portal.css`` are the only scripts and styles.
- Every response carries :data:`~simulator.web.security.SECURITY_HEADERS`; errors
  are plain text without a traceback (a portal usage error is a 400).
- With ``test_api=True`` the loopback-only JSON endpoints of
  :mod:`simulator.web.testapi` are mounted; without it they do not exist.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from simulator.asgi.hosts import HostCheckMiddleware
from simulator.mail.mailbox import Transport
from simulator.portal.clock import Clock
from simulator.portal.passwords import DEFAULT_HASH_ITERATIONS
from simulator.web.contract import CSRF_FIELD, PORTAL_ADDRESS, screen_address
from simulator.web.formdata import MAX_BODY_BYTES, FormRejected, read_form
from simulator.web.pages import PageRenderer
from simulator.web.security import SECURITY_HEADERS, SecurityHeadersMiddleware
from simulator.web.sendafter import SendMailAfterAnswer
from simulator.web.served import ServedPortal
from simulator.web.sessions import PreSessions, SessionStore, WebSession
from simulator.web.testapi import testapi_routes
from specs.model import FlowSet, Parameters

__all__ = ["SESSION_COOKIE", "STATIC_DIR", "create_app", "served_portal"]

SESSION_COOKIE = "rpp_session"
STATIC_DIR = Path(__file__).resolve().parent / "static"

_log = logging.getLogger("rpp.web")

_NO_SESSION = (
    "Forbidden: this browser has no live session with the portal (it expired, or the"
    " page was not served by this portal). Nothing was changed. Open the portal again."
)
_BAD_TOKEN = (
    "Forbidden: the form's security token is missing or wrong. Nothing was changed."
    " Open the portal again."
)


def _plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def _set_session_cookie(response: Response, web: WebSession | str, request: Request) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        web if isinstance(web, str) else web.id,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )


def _http_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, HTTPException):  # pragma: no cover - registered for HTTPException
        raise error
    return _plain(error.status_code, error.detail, dict(error.headers or {}))


def _server_error(request: Request, error: Exception) -> Response:
    # Outside the security-headers middleware (Starlette runs this outermost): set them here.
    _log.error("error serving %s %s: %r", request.method, request.url.path, error)
    return _plain(
        500,
        "Internal Server Error: the portal could not complete this request.",
        dict(SECURITY_HEADERS),
    )


def served_portal(app: Starlette) -> ServedPortal:
    """The portal ``app`` serves (for harnesses and tests)."""
    served: ServedPortal = app.state.served
    return served


def create_app(
    flow_set: FlowSet,
    *,
    transport: Transport,
    clock: Clock,
    parameters: Parameters | None = None,
    test_api: bool = False,
    hash_iterations: int = DEFAULT_HASH_ITERATIONS,
    sessions: SessionStore | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """A web app serving one portal of ``flow_set``, sending mail by ``transport``,
    telling time by ``clock``; ``sessions`` sets the idle expiry and the cap on sessions
    (default: 30 minutes, 10,000); ``allowed_hosts``: the only Host names answered
    (a DNS-rebinding page is refused), any when None."""
    served = ServedPortal(
        flow_set,
        transport,
        clock,
        parameters,
        hash_iterations,
        sessions if sessions is not None else SessionStore(),
    )
    renderer = PageRenderer(flow_set.portal, served.portal.parameters.states)
    pre_sessions = PreSessions()

    def page(web: WebSession, status: int) -> Response:
        screen, chosen_state = served.screen(web)
        html = renderer.render(
            screen,
            csrf_token=web.csrf_token,
            chosen_state=chosen_state,
            address=served.address(web),
        )
        return HTMLResponse(html, status_code=status)

    def first_page(token: str) -> Response:
        return HTMLResponse(renderer.render(served.first_screen(), csrf_token=token))

    async def checked_post(request: Request) -> tuple[WebSession, dict[str, str]] | Response:
        """The session and form of a POST, or the response refusing it; a pre-session's
        first post makes its session."""
        try:
            form = await read_form(request)
        except FormRejected as error:
            return _plain(error.status, error.message)
        cookie = request.cookies.get(SESSION_COOKIE)
        web = served.sessions.get(cookie)
        if web is None:
            token = pre_sessions.csrf_token(cookie)
            if token is None:
                return _plain(403, _NO_SESSION)
            if not hmac.compare_digest(form.get(CSRF_FIELD, "").encode(), token.encode()):
                return _plain(403, _BAD_TOKEN)
            client = request.client.host if request.client else ""
            web = served.open_browser(cookie, token, client)
        if not web.csrf_matches(form.get(CSRF_FIELD)):
            return _plain(403, _BAD_TOKEN)
        return web, form

    def redirect(web: WebSession, request: Request, rotated: bool) -> Response:
        """303 to the page ``web`` now shows; its GET shows it as it was left."""
        address = served.address(web)
        web.landing = address
        response = RedirectResponse(address, status_code=303)
        if rotated:
            _set_session_cookie(response, web, request)
        return response

    async def show(request: Request) -> Response:
        """GET of a page's address (see the module's promises)."""
        address = request.url.path
        web = served.sessions.get(request.cookies.get(SESSION_COOKIE))
        if web is None:
            return await pre_session(request, address)
        new_cookie = False
        landing, web.landing = web.landing, None
        # A new browser, a post's redirect or a reload shows the page as it is; anything
        # else is the portal's address opened in this browser.
        as_it_is = (
            new_cookie
            or landing == address
            or (address != PORTAL_ADDRESS and served.address(web) == address)
        )
        if not as_it_is:
            outcome = await run_in_threadpool(served.open_portal, web)
            if outcome.signed_in_or_out:
                web = served.sessions.rotate(web)
                new_cookie = True
        if served.address(web) != address:
            return redirect(web, request, new_cookie)
        response = await run_in_threadpool(page, web, 200)
        if new_cookie:
            _set_session_cookie(response, web, request)
        return response

    async def pre_session(request: Request, address: str) -> Response:
        """No live session: Please Sign-In under a pre-session, which costs no storage
        (another page's address redirects there)."""
        session_id = request.cookies.get(SESSION_COOKIE)
        token = pre_sessions.csrf_token(session_id)
        fresh = token is None or session_id is None
        if token is None or session_id is None:
            session_id = pre_sessions.issue()
            token = pre_sessions.csrf_token(session_id) or ""
        response: Response
        if address != PORTAL_ADDRESS:
            response = RedirectResponse(PORTAL_ADDRESS, status_code=303)
        else:
            response = await run_in_threadpool(first_page, token)
        if fresh:
            _set_session_cookie(response, session_id, request)
        return response

    async def home(request: Request) -> Response:
        if request.method != "POST":
            return await show(request)
        checked = await checked_post(request)
        if isinstance(checked, Response):
            return checked
        web, form = checked
        if served.outbox.full:
            return _plain(
                503,
                "Service Unavailable: the portal cannot send email just now."
                " Nothing was changed; please try again in a minute.",
                {"Retry-After": "60"},
            )
        outcome = await run_in_threadpool(served.act, web, form)
        if outcome.kind == "stale":
            return await run_in_threadpool(page, web, 409)
        if outcome.kind == "refused":
            return _plain(400, f"Bad Request: {outcome.message}. Nothing was changed.")
        if outcome.signed_in_or_out:
            web = served.sessions.rotate(web)
        return redirect(web, request, outcome.signed_in_or_out)

    async def logout(request: Request) -> Response:
        checked = await checked_post(request)
        if isinstance(checked, Response):
            return checked
        web, _ = checked
        served.sessions.discard(web)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(
            SESSION_COOKIE,
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )
        return response

    addresses = dict.fromkeys(
        screen_address(name, served.sign_in) for name in flow_set.portal.screens
    )
    routes: list[BaseRoute] = [
        *(Route(address, home, methods=["GET", "POST"]) for address in addresses),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if test_api:
        routes += testapi_routes(served)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SendMailAfterAnswer, outbox=served.outbox),
            Middleware(SecurityHeadersMiddleware),
            *(
                [Middleware(HostCheckMiddleware, allowed_hosts=allowed_hosts)]
                if allowed_hosts
                else []
            ),
            Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.served = served
    return app
