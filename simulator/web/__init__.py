"""The flows served as a real web portal (``rpp serve``): Starlette and Jinja2 on uvicorn.

Layers inside, each importing only the ones before it: ``contract`` (the names pages
and forms share), ``security``, ``sessions``, ``formdata``, ``clock`` -> ``pages``
(the HTML contract), ``served`` (the portal and what a posted form does) ->
``testapi`` -> ``app`` (routes, cookies, CSRF, limits) -> ``server`` (uvicorn in a
thread) -> ``command`` (``rpp serve``). Builds on :mod:`simulator.portal` and
:mod:`simulator.mail`; nothing below imports it.
"""
