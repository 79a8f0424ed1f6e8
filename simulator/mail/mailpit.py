"""A :class:`~simulator.mail.reader.MailReader` over Mailpit's REST API v1: reads a
team's real Mailpit, or `rpp mailbox` (:mod:`simulator.mail.service`), the same way.

Promises:

- Every message is read from its raw source (``GET /api/v1/message/{ID}/raw``),
  parsed with ``email.policy.default``: the tester sees the bytes the portal sent.
- :meth:`MailpitReader.messages` finds an address's mail with the search ``to:ADDRESS``,
  pages through every result, keeps the messages that name exactly that address (To,
  Cc or Bcc; Mailpit's ``to:`` matches a substring), and returns them oldest first.
  Mail found by envelope alone is found on `rpp mailbox` (which lists envelope
  recipients as Bcc) but not on Mailpit, whose ``to:`` reads the To header only; the
  portal's mail always names its recipient in To.
- :meth:`MailpitReader.search` narrows on the server (``to:``, ``subject:"..."``), then
  checks every criterion exactly as :meth:`Mailbox.search` does: the address, the
  Subject letter for letter, the ``kind`` by :func:`~simulator.mail.messages.email_kind`.
- :meth:`MailpitReader.folder` tells the spam folder by the tag ``spam``.
- A server that cannot be reached, answers with an error, or does not answer Mailpit's
  JSON raises :class:`MailpitError`, naming the URL; :meth:`MailpitReader.describe`
  never raises (it is for failure messages) and says what went wrong instead.
- Paging is by ``start``/``limit`` over newest-first results: mail arriving meanwhile is
  read once (duplicates by ID are dropped); mail deleted meanwhile may shift a page.
- Asked again for everything held (``search()`` with no address or subject, as a
  journey does where mail is due), the reader asks for the newest :data:`NEWEST` summaries only, and
  reuses its last listing when they show that only mail newer than it arrived (the
  total grew by k and the newest message it knew is k-th newest): one small request
  however much the server holds. Anything else (mail deleted, more than that arrived)
  lists everything again. A message's source is fetched once (IDs are never reused).
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from types import TracebackType
from typing import Any

import httpx

from simulator.mail.mailbox import FOLDERS, describe_message, normalize_address
from simulator.mail.messages import MissingEmailPart, email_kind
from specs.errors import RppError
from specs.model import PortalSpec

__all__ = ["MailpitError", "MailpitReader"]

PAGE_SIZE = 200  # messages per request when paging through results
CACHED = 10_000  # parsed messages kept by ID
DESCRIBED = 20  # messages :meth:`MailpitReader.describe` shows, newest first
NEWEST = 8  # summaries asked for when checking what arrived since the last listing


class MailpitError(RppError):
    """The Mailpit API could not be read: unreachable, an error status, or not its JSON."""


def _addresses(summary: dict[str, Any]) -> set[str]:
    """Every address a message summary names as a recipient, normalized."""
    found: set[str] = set()
    for field in ("To", "Cc", "Bcc"):
        for entry in summary.get(field) or []:
            if isinstance(entry, dict) and isinstance(entry.get("Address"), str):
                found.add(normalize_address(entry["Address"]))
    return found


class MailpitReader:
    """Reads the mail held by the Mailpit API at ``base_url`` (e.g.
    ``http://127.0.0.1:8025``). ``portal`` is the spec whose email subjects ``kind=``
    recognises (the shipped ``portal.yaml`` when not given); ``client`` an httpx client
    to use (closed by its owner), else one is made and closed by :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        portal: PortalSpec | None = None,
        client: httpx.Client | None = None,
        *,
        timeout: float = 10.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the Mailpit URL must start with http:// or https://: {base_url!r}")
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.base_url = base_url.rstrip("/")
        self._portal = portal
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)
        self._page_size = page_size
        self._parsed: dict[str, EmailMessage] = {}
        self._listed: list[dict[str, Any]] | None = None  # the last listing of everything

    # --- HTTP ------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        url = self.base_url + path
        try:
            try:
                response = self._client.request(method, url, params=params)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # A kept-alive connection the server closed as this request went out:
                # reading is idempotent, so once more on a new connection.
                response = self._client.request(method, url, params=params)
        except httpx.HTTPError as error:
            raise MailpitError(
                f"cannot reach the mail API at {url}: {error or type(error).__name__}"
                " (is `rpp mailbox` or Mailpit running there?)"
            ) from error
        if response.status_code != 200:
            text = " ".join(response.text.split())[:200]
            raise MailpitError(f"{method} {response.url} answered {response.status_code}: {text}")
        return response

    def _page(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self._request("GET", path, params)
        try:
            data = response.json()
        except ValueError:
            data = None
        messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("ID"), str) for m in messages
        ):
            raise MailpitError(
                f"GET {response.url} did not answer Mailpit's message list"
                " (is this Mailpit's API v1?)"
            )
        return data  # type: ignore[no-any-return]

    def _summaries(self, query: str | None, reuse: bool = False) -> list[dict[str, Any]]:
        """Every message summary (of a search, when ``query`` is given), oldest first;
        ``reuse``: the last listing of everything and what arrived since will do (its
        tags and read flags may be out of date)."""
        if query is None and reuse:
            since = self._since_listed()
            if since is not None:
                return since
        path, params = "/api/v1/messages", {}
        if query is not None:
            path, params = "/api/v1/search", {"query": query}
        newest_first: dict[str, dict[str, Any]] = {}
        start = 0
        while True:
            data = self._page(path, {**params, "start": start, "limit": self._page_size})
            messages: list[dict[str, Any]] = data["messages"]
            for summary in messages:
                newest_first.setdefault(summary["ID"], summary)
            start += len(messages)
            matching = data.get("messages_count", data.get("total"))
            if not messages or (isinstance(matching, int | float) and start >= matching):
                break
        found = list(newest_first.values())[::-1]
        if query is None:
            self._listed = found
        return list(found)

    def _since_listed(self) -> list[dict[str, Any]] | None:
        """The last listing of everything and what arrived since, from one request for
        the newest summaries; None when they do not show that only newer mail came."""
        listed = self._listed
        if listed is None:
            return None
        data = self._page("/api/v1/messages", {"start": 0, "limit": NEWEST})
        newest: list[dict[str, Any]] = data["messages"]
        total = data.get("messages_count", data.get("total"))
        if not isinstance(total, int | float) or not total >= len(listed):
            return None
        arrived = int(total) - len(listed)
        if not listed:
            fresh = newest[:arrived] if arrived == len(newest) else None
        elif arrived < len(newest) and newest[arrived]["ID"] == listed[-1]["ID"]:
            fresh = newest[:arrived]
        else:
            fresh = None
        if fresh is None:
            return None
        self._listed = listed + fresh[::-1]
        return list(self._listed)

    def _message(self, summary: dict[str, Any]) -> EmailMessage:
        # A stored message never changes: each is fetched once (the cache is emptied by
        # delete_all, and is bounded like the server's store).
        cached = self._parsed.get(summary["ID"])
        if cached is not None:
            return cached
        response = self._request("GET", f"/api/v1/message/{summary['ID']}/raw")
        message = email.message_from_bytes(response.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)  # policy.default always makes one
        if len(self._parsed) >= CACHED:
            self._parsed.clear()
        self._parsed[summary["ID"]] = message
        return message

    def _for_address(self, address: str) -> Iterator[dict[str, Any]]:
        key = normalize_address(address)
        for summary in self._summaries(f"to:{key}"):
            if key in _addresses(summary):
                yield summary

    # --- MailReader ------------------------------------------------------------------

    def messages(self, address: str) -> list[EmailMessage]:
        """Every message of ``address`` (inbox and spam), oldest first."""
        return [self._message(summary) for summary in self._for_address(address)]

    def search(
        self, to: str | None = None, subject: str | None = None, kind: str | None = None
    ) -> list[EmailMessage]:
        """Messages matching every criterion given, oldest first (see the module's promises)."""
        terms = []
        if to is not None:
            terms.append(f"to:{normalize_address(to)}")
        if subject is not None and '"' not in subject and subject.strip():
            terms.append(f'subject:"{subject}"')
        summaries = self._summaries(" ".join(terms) if terms else None, reuse=True)
        if to is not None:
            key = normalize_address(to)
            summaries = [s for s in summaries if key in _addresses(s)]
        found = []
        for summary in summaries:
            message = self._message(summary)
            if subject is not None and str(message.get("Subject", "")) != subject:
                continue
            if kind is not None and not self._is_kind(message, kind):
                continue
            found.append(message)
        return found

    def _is_kind(self, message: EmailMessage, kind: str) -> bool:
        try:
            return email_kind(message, self._portal) == kind
        except MissingEmailPart:
            return False

    def folder(self, address: str, name: str) -> list[EmailMessage]:
        """The messages of ``address`` in ``inbox`` or ``spam`` (tagged ``spam``), oldest first."""
        if name not in FOLDERS:
            raise ValueError(f"no folder {name!r}: a mailbox has {' and '.join(FOLDERS)}")
        wanted = name == "spam"
        return [
            self._message(summary)
            for summary in self._for_address(address)
            if _is_spam(summary) == wanted
        ]

    def describe(self, address: str | None = None, body_lines: int = 3) -> str:
        """A readable dump of the newest messages (of ``address``), for failure messages."""
        who = f" for {normalize_address(address)}" if address is not None else ""
        try:
            if address is None:
                summaries = self._summaries(None)
            else:
                summaries = list(self._for_address(address))
            if not summaries:
                return f"mail at {self.base_url}{who}: empty"
            lines = [f"mail at {self.base_url}{who}: {len(summaries)} message(s)"]
            if len(summaries) > DESCRIBED:
                lines.append(f"  (the newest {DESCRIBED} shown)")
            for summary in summaries[-DESCRIBED:]:
                folder = "spam" if _is_spam(summary) else "inbox"
                lines += describe_message(self._message(summary), summary["ID"], folder, body_lines)
            return "\n".join(lines)
        except MailpitError as error:
            return f"mail at {self.base_url}{who}: could not be read: {error}"

    # --- beyond MailReader -----------------------------------------------------------

    def count(self) -> int:
        """How many messages the server holds (one request)."""
        data = self._page("/api/v1/messages", {"start": 0, "limit": 1})
        total = data.get("total")
        if not isinstance(total, int | float):
            raise MailpitError(f"{self.base_url}/api/v1/messages answered no total")
        return int(total)

    def runtime_stats(self) -> dict[str, int]:
        """The server's counters (``GET /api/v1/info``'s ``RuntimeStats``: ``SMTPAccepted``,
        ``SMTPRejected``, ``SMTPIgnored`` (duplicate Message-IDs not filed), ...)."""
        response = self._request("GET", "/api/v1/info")
        try:
            stats = response.json().get("RuntimeStats")
        except (ValueError, AttributeError):
            stats = None
        if not isinstance(stats, dict):
            raise MailpitError(f"GET {response.url} answered no RuntimeStats")
        return {k: int(v) for k, v in stats.items() if isinstance(v, int | float)}

    def delete_all(self) -> None:
        """Delete every message the server holds."""
        self._request("DELETE", "/api/v1/messages")
        self._parsed.clear()
        self._listed = None

    def close(self) -> None:
        """Close the HTTP client, when this reader made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> MailpitReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _is_spam(summary: dict[str, Any]) -> bool:
    tags = summary.get("Tags") or []
    return any(isinstance(tag, str) and tag.lower() == "spam" for tag in tags)
