"""The portal a web app serves: one :class:`~simulator.portal.portal.Portal`, its
browser sessions, and what a posted form does to them.

Promises:

- :meth:`ServedPortal.open_browser` starts a fresh portal session (the login page)
  under a new web session (:meth:`ServedPortal.first_screen` is its screen, for a
  browser that holds no session yet); :meth:`ServedPortal.reset` replaces the portal with a new
  one (no accounts, no sessions; the same flows, transport and clock) and forgets
  every web session; given parameters (a verification variant of portal.yaml), the
  new portal runs with them. :meth:`ServedPortal.take_fired` hands out the transitions
  of the flows fired since it was last called (for a harness's coverage gate).
- :meth:`ServedPortal.act` checks a posted form against the screen the session shows
  *before* touching the portal, so a refused post changes nothing: a form posted from
  another screen, or naming a control the screen does not have, is ``stale`` (409);
  a control the screen shows but the flows give no click (e.g. "Register") is
  ``refused`` (400). Otherwise it fills every field of the screen (a field not posted
  is empty), clicks, and says whether the session signed in or out (the caller then
  issues a new session id). A click that raises half-way is undone before the error
  goes on (the accounts, the session, the fired transitions, its emails). The whole check-fill-click runs under the portal's lock,
  so two tabs of one session cannot interleave.
- :meth:`ServedPortal.open_portal` is the portal's address opened in a browser (the
  bookmark, LOGIN-1): the flows' ``open_portal`` trigger on its session, saying whether
  that signed it out; :meth:`ServedPortal.address` is the address of the page a
  session shows (:func:`~simulator.web.contract.screen_address`).
- The portal's mail goes through an :class:`~simulator.mail.outbox.Outbox`
  (:attr:`ServedPortal.outbox`): collected under the lock and left queued by
  :meth:`ServedPortal.act`, for the app to send once its answer is out; kept and
  retried when the relay refuses it, so a mail outage neither blocks other producers
  nor turns a click into an error. :meth:`ServedPortal.reset` forgets waiting mail and
  :meth:`ServedPortal.close` stops the retries.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from simulator.mail.mailbox import Transport
from simulator.mail.outbox import Outbox
from simulator.portal.clock import Clock, SimulatedClock
from simulator.portal.portal import Portal, PortalUsageError
from simulator.portal.screens import Screen
from simulator.web.contract import CONTROL_FIELD, SCREEN_FIELD, field_name, screen_address
from simulator.web.sessions import SessionStore, WebSession
from specs.model import FlowSet, Parameters

__all__ = ["Outcome", "ServedPortal"]


@dataclass(frozen=True)
class Outcome:
    """What a posted form did: ``kind`` is ``done``, ``stale`` or ``refused``."""

    kind: str
    message: str = ""
    signed_in_or_out: bool = False


class ServedPortal:
    """A portal, its flows and its web sessions; safe to use from many threads."""

    def __init__(
        self,
        flow_set: FlowSet,
        transport: Transport,
        clock: Clock,
        parameters: Parameters | None,
        hash_iterations: int,
        sessions: SessionStore,
    ) -> None:
        self.flow_set = flow_set
        self.transport = transport
        self.outbox = Outbox(transport)
        self.clock = clock
        self.parameters = parameters
        self.hash_iterations = hash_iterations
        self.sessions = sessions
        self._lock = threading.Lock()
        self._fired: list[str] = []
        self.portal = self._new_portal()
        self.sign_in = flow_set.flows_of("session")[0].initial

    def _new_portal(self, parameters: Parameters | None = None) -> Portal:
        portal = Portal(
            self.flow_set,
            self.outbox,
            clock=self.clock,
            parameters=parameters or self.parameters,
            hash_iterations=self.hash_iterations,
        )
        portal.on_fired(lambda spec: self._fired.append(spec.name))
        return portal

    def reset(self, parameters: Parameters | None = None) -> None:
        """Start afresh: a new portal with no accounts, and no sessions (with
        ``parameters`` instead of the served ones, until the next reset)."""
        with self._lock:
            self.portal = self._new_portal(parameters)
            self.sessions.clear()
            self._fired.clear()
            self.outbox.clear()

    def close(self) -> None:
        """Stop retrying waiting mail (when the server stops)."""
        self.outbox.close()

    def take_fired(self) -> list[str]:
        """The transitions of the flows fired since the last call (machine.id), in order."""
        with self._lock:
            fired, self._fired = self._fired, []
            return fired

    def open_browser(
        self, session_id: str | None = None, csrf_token: str | None = None, client: str = ""
    ) -> WebSession:
        """A new web session on a fresh portal session (the login page), made by
        ``client``; under a pre-session's id and token when given."""
        return self.sessions.create(
            self.portal.open_session(), session_id=session_id, csrf_token=csrf_token, client=client
        )

    def first_screen(self) -> Screen:
        """The screen a browser with no session is shown (the login page)."""
        portal = self.portal
        with portal.lock:
            return portal.screen(portal.open_session())

    def screen(self, web: WebSession) -> tuple[Screen, str | None]:
        """The screen ``web`` shows, and the state chosen on it (None when none is)."""
        portal = web.portal_session.portal
        with portal.lock:
            return portal.screen(web.portal_session), web.portal_session.chosen_state

    def address(self, web: WebSession) -> str:
        """The address of the page ``web`` shows."""
        return screen_address(web.portal_session.state, self.sign_in)

    def open_portal(self, web: WebSession) -> Outcome:
        """Open the portal's address in ``web``'s browser (the flows' ``open_portal``)."""
        session = web.portal_session
        with session.portal.lock:
            before = session.account
            session.portal.open_portal(session)
            return Outcome("done", signed_in_or_out=session.account is not before)

    def act(self, web: WebSession, form: Mapping[str, str]) -> Outcome:
        """Fill the screen's fields from ``form`` and click its ``control``."""
        # The mail waits in the outbox: it goes once the answer is out (sendafter.py).
        with self.outbox.collecting(send=False):
            return self._act(web, form)

    def _act(self, web: WebSession, form: Mapping[str, str]) -> Outcome:
        session = web.portal_session
        portal = session.portal
        with portal.lock:
            screen = portal.screen(session)
            spec = self.flow_set.portal.screens[screen.name]
            control = form.get(CONTROL_FIELD, "")
            posted_from = form.get(SCREEN_FIELD)
            clickable = {
                *screen.buttons,
                *screen.links,
                *(f for f in screen.fields if f in spec.clicks),
            }
            if not control:
                return Outcome("refused", "the form named no control (button or link) to click")
            if (posted_from is not None and posted_from != screen.name) or control not in clickable:
                return Outcome("stale", "that page is out of date: this is the current one")
            if control not in spec.clicks:
                return Outcome("refused", f"{control!r} does nothing on this portal")
            before = session.account
            saved, saved_session, fired = portal.snapshot(), dict(vars(session)), len(self._fired)
            try:
                for label in screen.fields:
                    portal.fill(session, label, form.get(field_name(label), ""))
                portal.click(session, control)
            except PortalUsageError as error:
                return Outcome("refused", str(error))
            except Exception:
                # A click that fails half-way is undone: no account, session, fired
                # transition or email keeps a trace of it (the caller answers 500).
                if isinstance(self.clock, SimulatedClock):  # the clock is not the click's
                    saved[id(self.clock)] = {"_now": self.clock.now()}
                portal.restore(saved)
                vars(session).update(saved_session)
                del self._fired[fired:]
                self.outbox.forget_collected()
                raise
            return Outcome("done", signed_in_or_out=session.account is not before)
