"""Serving ASGI apps on real sockets, shared by the served portal and the mailbox."""
