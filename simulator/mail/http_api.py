"""The mailbox over HTTP: a read API shaped like Mailpit's REST API v1, so one client
(:class:`simulator.mail.mailpit.MailpitReader`) reads this server and a team's real
Mailpit alike, and a plain HTML inbox for people.

Promises:

- ``GET /api/v1/messages?start=0&limit=50`` lists deliveries newest first as Mailpit
  does: ``{"total", "unread", "count", "messages_count", "messages_unread", "start",
  "tags", "messages"}``, each message a Mailpit ``MessageSummary`` (``ID``,
  ``MessageID``, ``Read``, ``From``, ``To``, ``Cc``, ``Bcc``, ``ReplyTo``, ``Subject``,
  ``Created`` in RFC 3339, ``Username``, ``Tags``, ``Size``, ``Attachments``,
  ``Snippet``). A message filed in the spam folder has the tag ``spam``; envelope
  recipients the headers do not name are listed in ``Bcc``, as Mailpit does.
- ``GET /api/v1/message/{ID}`` (``ID`` may be ``latest``) is the summary plus ``Text``,
  ``HTML``, ``Date``, ``ReturnPath``, ``Inline`` and, as in Mailpit, ``Attachments`` as
  a list; it marks the message read. ``GET /api/v1/message/{ID}/raw`` is the RFC 5322
  source as received, ``text/plain``. An unknown ID is a 404.
- ``GET /api/v1/search?query=...&start&limit`` answers like the list, for a subset of
  Mailpit's search syntax: terms separated by spaces are ANDed; double quotes group
  words (``subject:"Your user name"``); ``-`` or ``!`` negates a term; ``to:``,
  ``from:``, ``cc:``, ``bcc:``, ``subject:`` and ``message-id:`` match a substring,
  ignoring case, ``tag:`` a tag, ``is:read``/``is:unread``, ``has:attachment``; any other
  word matches the headers and body text. ``to:`` matches the addresses the message was
  filed under (its envelope recipients, with their To/Cc names), so it finds what
  :meth:`Mailbox.messages` holds; Mailpit matches the To header only.
- ``DELETE /api/v1/messages`` with no body or ``{"IDs": []}`` deletes everything, with
  ``{"IDs": [...]}`` those messages, and answers ``ok``. A body that is not that JSON is
  a 400 (Mailpit would delete everything); bodies are read up to 1 MiB.
- ``GET /api/v1/info`` answers Mailpit's counters: ``Messages``, ``Unread``,
  ``Tags``, and ``RuntimeStats`` with ``SMTPAccepted``, ``SMTPAcceptedSize``,
  ``SMTPRejected``, ``SMTPIgnored`` (a Message-ID an address already held: never filed
  twice) and ``MessagesDeleted``; ``DatabaseSize`` is the raw mail held, in bytes.
- ``PUT /api/v1/tags`` with ``{"IDs": [...], "Tags": [...]}`` sets those messages'
  tags as Mailpit does (replacing their tags; no IDs: nothing changes) and answers
  ``ok``. This mailbox keeps one tag, ``spam``, which is its spam folder: tagging a
  message ``spam`` moves it there with every copy it filed, ``"Tags": []`` moves it
  back to the inbox. Any other tag, an unknown ID or a body that is not that JSON is a
  400 that changes nothing (Mailpit would keep other tags; this mailbox cannot).
- ``GET /`` lists the addresses holding mail, ``GET /inbox/{address}`` an address's
  messages, ``GET /view/{ID}`` one message's headers and plain text body. Everything
  from mail is untrusted: the templates escape it all, and a message's HTML part is
  never rendered.
- Every response, errors included, carries a Content-Security-Policy of
  ``default-src 'none'`` (stylesheet from this server only), ``X-Content-Type-Options:
  nosniff``, ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer``.
- What the API derives from a message is computed once per message and cached (IDs are
  never reused); the mailbox is only read, except for the read flag, deletions and
  the ``spam`` tag.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from simulator.asgi.hosts import HostCheckMiddleware
from simulator.asgi.server import SecurityHeadersMiddleware
from simulator.mail.mailbox import Delivery, Mailbox, NoSuchMessage

__all__ = ["SECURITY_HEADERS", "SearchTerm", "mailbox_app", "parse_query"]

TEMPLATES_DIR = Path(__file__).with_name("templates")

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none';"
        " frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

SPAM_TAG = "spam"  # the one tag this mailbox keeps: its spam folder
DEFAULT_LIMIT = 50  # Mailpit's page size when none is asked for
SNIPPET_LENGTH = 250  # Mailpit: "Message snippet includes up to 250 characters"
_MAX_BODY = 1_048_576  # a DELETE body: a list of IDs, never more than this
_CACHE_SIZE = 20_000  # derived entries kept; above the service's default of 10,000 messages
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_TOKEN = re.compile(r'(?:[^\s"]|"[^"]*(?:"|$))+')
_NOT_IN_ADDRESS_TERMS = re.compile(r'[\r\n\t<>",;()]')  # Mailpit's cleanString
_TAG = re.compile(r"<[^>]*>")
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_FIELDS = ("to", "from", "cc", "bcc", "subject", "message-id", "tag")
_FLAGS = {
    "is:read": "read",
    "is:unread": "unread",
    "has:attachment": "attachment",
    "has:attachments": "attachment",
}


# --- search syntax -----------------------------------------------------------------


@dataclass(frozen=True)
class SearchTerm:
    """One term of a search: ``field`` is one of ``to``, ``from``, ``cc``, ``bcc``,
    ``subject``, ``message-id``, ``tag``, ``read``, ``unread``, ``attachment`` or
    ``text``; ``value`` is lower-cased; ``exclude`` negates it."""

    field: str
    value: str
    exclude: bool = False


def _clean(value: str) -> str:
    return " ".join(_NOT_IN_ADDRESS_TERMS.sub(" ", value).split()).lower()


def parse_query(query: str) -> list[SearchTerm]:
    """The terms of a Mailpit-style search, in order. Terms with no letter or digit
    are skipped, as Mailpit skips them."""
    terms: list[SearchTerm] = []
    for token in _TOKEN.findall(query):
        word = token.replace('"', "")
        exclude = len(word) > 1 and word[0] in "-!"
        if exclude:
            word = word[1:]
        if not any(c.isalnum() for c in word):
            continue
        lower = word.lower()
        if lower in _FLAGS:
            terms.append(SearchTerm(_FLAGS[lower], "", exclude))
            continue
        field, colon, value = word.partition(":")
        if colon and field.lower() in _FIELDS:
            field = field.lower()
            value = value.lower() if field == "subject" else _clean(value)
            if value:
                terms.append(SearchTerm(field, value, exclude))
            continue
        terms.append(SearchTerm("text", _clean(word), exclude))
    return terms


# --- what the API knows of one delivery --------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A delivery as the API shows and searches it, derived once."""

    summary: dict[str, Any]  # Mailpit's MessageSummary, without Read
    recipients: str  # lower-cased "name <address>" of every address it was filed under
    sender: str
    cc: str
    bcc: str
    subject: str
    message_id: str
    text: str  # lower-cased headers and body, for plain words
    tags: tuple[str, ...]
    attachments: int


def _header_text(message: EmailMessage, name: str) -> str:
    """The header's value as read (unfolded, decoded), or ``""``."""
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except Exception:  # a malformed header reads as absent, never as an error page
        return ""


def _address_list(message: EmailMessage, name: str) -> list[dict[str, str]]:
    """A header's addresses as Mailpit lists them: ``[{"Name", "Address"}]``."""
    found: list[dict[str, str]] = []
    try:
        for header in message.get_all(name, []):
            addresses = getattr(header, "addresses", None)
            if addresses is not None:
                found += [{"Name": a.display_name, "Address": a.addr_spec} for a in addresses]
            else:
                found += [{"Name": n, "Address": a} for n, a in getaddresses([str(header)]) if a]
    except Exception:  # a malformed header reads as absent
        return []
    return found


def _part_text(message: EmailMessage, subtype: str) -> str:
    try:
        part = message.get_body(preferencelist=(subtype,))
        content = None if part is None else part.get_content()
    except Exception:  # an undecodable part reads as absent
        return ""
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


def _strip_html(markup: str) -> str:
    return html.unescape(_TAG.sub(" ", _SCRIPTS.sub(" ", markup)))


def _rfc3339(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _date_of(message: EmailMessage) -> dt.datetime | None:
    try:
        date = message.get("Date")
        return None if date is None else parsedate_to_datetime(str(date))
    except Exception:  # an unreadable Date is no Date
        return None


def _created(delivery: Delivery) -> dt.datetime:
    """When it was received (SMTP), else its Date, else the epoch."""
    return delivery.received_at or _date_of(delivery.message) or _EPOCH


def _attachments(message: EmailMessage) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    try:
        for number, part in enumerate(message.iter_attachments(), start=1):
            payload = part.get_payload(decode=True)
            found.append(
                {
                    "PartID": str(number),
                    "FileName": part.get_filename() or "",
                    "ContentType": part.get_content_type(),
                    "ContentID": str(part.get("Content-ID", "")).strip().strip("<>"),
                    "Size": len(payload) if isinstance(payload, bytes) else 0,
                }
            )
    except Exception:  # a malformed part lists as nothing
        return found
    return found


def _entry(delivery: Delivery) -> _Entry:
    message = delivery.message
    to, cc = _address_list(message, "To"), _address_list(message, "Cc")
    bcc = _address_list(message, "Bcc")
    named = {a["Address"].lower(): a["Name"] for a in (*to, *cc, *bcc)}
    # Envelope recipients no header names: Mailpit lists them as Bcc.
    bcc += [{"Name": "", "Address": a} for a in delivery.addresses if a not in named]
    senders = _address_list(message, "From")
    text = _part_text(message, "plain") or _strip_html(_part_text(message, "html"))
    subject = _header_text(message, "Subject")
    message_id = _header_text(message, "Message-ID").strip("<>")
    tags = ("spam",) if delivery.folder == "spam" else ()
    attachments = len(_attachments(message))
    summary: dict[str, Any] = {
        "ID": delivery.id,
        "MessageID": message_id,
        "From": senders[0] if senders else None,
        "To": to,
        "Cc": cc,
        "Bcc": bcc,
        "ReplyTo": _address_list(message, "Reply-To"),
        "Subject": subject,
        "Created": _rfc3339(_created(delivery)),
        "Username": "",
        "Tags": list(tags),
        "Size": len(delivery.source()),
        "Attachments": attachments,
        "Snippet": " ".join(text.split())[:SNIPPET_LENGTH],
    }

    def shown(addresses: Iterable[dict[str, str]]) -> str:
        return " ".join(f"{a['Name']} <{a['Address']}>" for a in addresses).lower()

    recipients = " ".join(f"{named.get(a, '')} <{a}>" for a in delivery.addresses).lower()
    headers = [_header_text(message, h) for h in ("From", "Subject", "To", "Cc", "Reply-To")]
    return _Entry(
        summary=summary,
        recipients=recipients,
        sender=shown(senders),
        cc=shown(cc),
        bcc=shown(bcc),
        subject=subject.lower(),
        message_id=message_id.lower(),
        text=_clean(" ".join([*headers, text])),
        tags=tags,
        attachments=attachments,
    )


class _Entries:
    """Derived entries by delivery ID and folder (a tag moves a delivery), computed once,
    the least recently used dropped."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def __call__(self, delivery: Delivery) -> _Entry:
        key = (delivery.id, delivery.folder)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        entry = _entry(delivery)  # outside the lock: parsing a message takes a while
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry


def _matches(entry: _Entry, read: bool, term: SearchTerm) -> bool:
    field, value = term.field, term.value
    if field == "read":
        found = read
    elif field == "unread":
        found = not read
    elif field == "attachment":
        found = entry.attachments > 0
    elif field == "tag":
        found = value in entry.tags
    else:
        haystack = {
            "to": entry.recipients,
            "from": entry.sender,
            "cc": entry.cc,
            "bcc": entry.bcc,
            "subject": entry.subject,
            "message-id": entry.message_id,
            "text": entry.text,
        }[field]
        found = value in haystack
    return found != term.exclude


# --- the app -----------------------------------------------------------------------


def _error(text: str, status: int) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status, headers=SECURITY_HEADERS)


def _paging(request: Request) -> tuple[int, int]:
    """``start`` and ``limit`` from the query; ``ValueError`` when not whole numbers."""
    values = []
    for name, default in (("start", 0), ("limit", DEFAULT_LIMIT)):
        given = request.query_params.get(name, "").strip()
        if not given:
            values.append(default)
            continue
        if not given.isdigit():
            raise ValueError(f"{name} must be a whole number, got {given!r}")
        values.append(int(given))
    start, limit = values
    return start, limit or DEFAULT_LIMIT


def _href(prefix: str, value: str) -> str:
    return prefix + quote(value, safe="@")


def mailbox_app(
    mailbox: Mailbox,
    allowed_hosts: Sequence[str] | None = None,
    smtp_rejected: Callable[[], int] | None = None,
) -> Starlette:
    """The Starlette app serving ``mailbox`` (see the module's promises);
    ``smtp_rejected`` counts what its SMTP server refused, for ``/api/v1/info``."""
    started = time.monotonic()
    entries = _Entries()
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template, whatever its name: mail is untrusted
        undefined=jinja2.StrictUndefined,
    )
    stylesheet = (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")

    def lookup(delivery_id: str) -> Delivery:
        if delivery_id == "latest":
            held = mailbox.deliveries()
            if not held:
                raise NoSuchMessage("the mailbox is empty")
            return held[-1]
        return mailbox.delivery(delivery_id)

    def summary(delivery: Delivery) -> dict[str, Any]:
        return {**entries(delivery).summary, "Read": mailbox.is_read(delivery.id)}

    def page(
        newest_first: list[Delivery], start: int, limit: int, unread_matching: int
    ) -> JSONResponse:
        shown = newest_first[start : start + limit]
        folders = {d.folder for d in mailbox.deliveries()}
        return JSONResponse(
            {
                "total": mailbox.delivery_count(),
                "unread": mailbox.unread_count(),
                "count": len(shown),
                "messages_count": len(newest_first),
                "messages_unread": unread_matching,
                "start": start,
                "tags": ["spam"] if "spam" in folders else [],
                "messages": [summary(d) for d in shown],
            }
        )

    def list_messages(request: Request) -> Response:
        try:
            start, limit = _paging(request)
        except ValueError as error:
            return _error(str(error), 400)
        held = mailbox.deliveries()[::-1]
        return page(held, start, limit, mailbox.unread_count())

    def search(request: Request) -> Response:
        query = request.query_params.get("query", "").strip()
        if not query:
            return _error("Error: no search query", 400)
        try:
            start, limit = _paging(request)
        except ValueError as error:
            return _error(str(error), 400)
        terms = parse_query(query)
        found: list[Delivery] = []
        unread = 0
        for delivery in reversed(mailbox.deliveries()):
            read = mailbox.is_read(delivery.id)
            entry = entries(delivery)
            if all(_matches(entry, read, term) for term in terms):
                found.append(delivery)
                unread += not read
        return page(found, start, limit, unread)

    def message(request: Request) -> Response:
        try:
            delivery = lookup(request.path_params["id"])
        except NoSuchMessage:
            return _error("Message not found", 404)
        mailbox.mark_read(delivery.id)
        found = delivery.message
        date = _date_of(found) or _created(delivery)
        detail = {
            **summary(delivery),
            "ReturnPath": _header_text(found, "Return-Path").strip("<>"),
            "Date": _rfc3339(date),
            "Text": _part_text(found, "plain"),
            "HTML": _part_text(found, "html"),
            "Inline": [],
            "Attachments": _attachments(found),
        }
        return JSONResponse(detail)

    def raw(request: Request) -> Response:
        try:
            delivery = lookup(request.path_params["id"])
        except NoSuchMessage:
            return _error("Message not found", 404)
        return Response(delivery.source(), media_type="text/plain")

    async def delete(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > _MAX_BODY:
                return _error(f"the request body is over {_MAX_BODY} bytes", 413)
        ids: list[str] = []
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            given = data.get("IDs", []) if isinstance(data, dict) else None
            if given is None and isinstance(data, dict):
                given = []  # {"IDs": null}: Mailpit deletes everything too
            if not isinstance(given, list) or not all(isinstance(i, str) for i in given):
                return _error('expected no body, or JSON like {"IDs": ["ID", ...]}', 400)
            ids = given
        if ids:
            mailbox.delete(ids)
        else:
            mailbox.clear()
        return PlainTextResponse("ok")

    async def set_tags(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > _MAX_BODY:
                return _error(f"the request body is over {_MAX_BODY} bytes", 413)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        ids = data.get("IDs") if isinstance(data, dict) else None
        tags = data.get("Tags") if isinstance(data, dict) else None
        tags = [] if tags is None else tags  # Mailpit reads a missing or null list as empty
        ids = [] if ids is None and isinstance(data, dict) else ids
        if not (
            isinstance(ids, list)
            and all(isinstance(i, str) for i in ids)
            and isinstance(tags, list)
            and all(isinstance(t, str) for t in tags)
        ):
            return _error('expected JSON like {"IDs": ["ID", ...], "Tags": ["spam"]}', 400)
        other = sorted({t for t in tags if t.strip().lower() != SPAM_TAG})
        if other:
            return _error(
                f"this mailbox keeps only the tag {SPAM_TAG!r} (its spam folder), not"
                f" {', '.join(map(repr, other))}: nothing was changed",
                400,
            )
        for delivery_id in ids:
            try:
                mailbox.delivery(delivery_id)
            except NoSuchMessage:
                return _error(f"no message with ID {delivery_id!r}: nothing was changed", 400)
        mailbox.move(ids, "spam" if tags else "inbox")
        return PlainTextResponse("ok")

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        text = templates.get_template(name).render(total=mailbox.delivery_count(), **context)
        return HTMLResponse(text, status_code=status)

    def index(request: Request) -> Response:
        rows = [
            {
                "address": address,
                "href": _href("/inbox/", address),
                "inbox": mailbox.count(address, "inbox"),
                "spam": mailbox.count(address, "spam"),
            }
            for address in mailbox.addresses()
        ]
        return render("index.html", title="Addresses", rows=rows)

    def inbox(request: Request) -> Response:
        address = request.path_params["address"]
        rows = []
        for delivery in reversed(mailbox.deliveries(address)):
            entry = entries(delivery)
            sender = entry.summary["From"]
            rows.append(
                {
                    "received": _created(delivery).strftime("%Y-%m-%d %H:%M:%S %Z"),
                    "sender": "" if sender is None else sender["Address"],
                    "subject": entry.summary["Subject"],
                    "href": _href("/view/", delivery.id),
                    "folder": delivery.folder,
                    "read": mailbox.is_read(delivery.id),
                }
            )
        status = 200 if rows else 404
        return render("inbox.html", status, title=address, address=address, rows=rows)

    def view(request: Request) -> Response:
        try:
            delivery = lookup(request.path_params["id"])
        except NoSuchMessage:
            return render(
                "view.html",
                404,
                title="Not found",
                subject="No such message",
                headers=[],
                text="",
                inboxes=[],
                raw_href="/",
            )
        mailbox.mark_read(delivery.id)
        found = delivery.message
        headers = [
            (name, _header_text(found, name))
            for name in ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID")
            if _header_text(found, name)
        ]
        headers += [
            ("Delivered to", ", ".join(delivery.addresses)),
            ("Folder", delivery.folder),
            ("Received", _rfc3339(_created(delivery))),
        ]
        text = _part_text(found, "plain") or "(no plain text body)"
        subject = _header_text(found, "Subject")
        return render(
            "view.html",
            title=subject or "(no subject)",
            subject=subject,
            headers=headers,
            text=text,
            inboxes=[{"address": a, "href": _href("/inbox/", a)} for a in delivery.addresses],
            raw_href=_href("/api/v1/message/", delivery.id) + "/raw",
        )

    def style(request: Request) -> Response:
        return Response(stylesheet, media_type="text/css")

    def info(request: Request) -> Response:
        stats = mailbox.stats()
        folders = Counter(d.folder for d in mailbox.deliveries())
        return JSONResponse(
            {
                "Version": "rpp mailbox",
                "LatestVersion": "",
                "Database": "",  # held in memory
                "DatabaseSize": stats["held_bytes"],
                "Messages": stats["held"],
                "Unread": mailbox.unread_count(),
                "Tags": {"spam": folders["spam"]} if folders["spam"] else {},
                "RuntimeStats": {
                    "Uptime": int(time.monotonic() - started),
                    "MessagesDeleted": stats["deleted"],
                    "SMTPAccepted": stats["accepted"],
                    "SMTPAcceptedSize": stats["accepted_bytes"],
                    "SMTPRejected": smtp_rejected() if smtp_rejected is not None else 0,
                    "SMTPIgnored": stats["ignored"],
                },
            }
        )

    def server_error(request: Request, error: Exception) -> Response:
        return _error("Internal Server Error", 500)

    handlers: dict[Any, Callable[[Request, Exception], Response]] = {Exception: server_error}
    return Starlette(
        routes=[
            Route("/api/v1/messages", list_messages, methods=["GET"]),
            Route("/api/v1/messages", delete, methods=["DELETE"]),
            Route("/api/v1/message/{id}", message, methods=["GET"]),
            Route("/api/v1/message/{id}/raw", raw, methods=["GET"]),
            Route("/api/v1/search", search, methods=["GET"]),
            Route("/api/v1/tags", set_tags, methods=["PUT"]),
            Route("/api/v1/info", info, methods=["GET"]),
            Route("/", index, methods=["GET"]),
            Route("/inbox/{address:path}", inbox, methods=["GET"]),
            Route("/view/{id}", view, methods=["GET"]),
            Route("/style.css", style, methods=["GET"]),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware, headers=SECURITY_HEADERS),
            *(
                [Middleware(HostCheckMiddleware, allowed_hosts=allowed_hosts)]
                if allowed_hosts
                else []
            ),
        ],
        exception_handlers=handlers,
    )
