"""The executable Retail Producer Portal: accounts and browser sessions run by the
`transitions` machines of the flows, its screens, its clock.

Layers inside: ``clock`` and ``forms``, ``passwords`` and ``screens`` know nothing of
each other's models; ``account``, ``session`` and ``ledger`` are the flows' models;
``portal`` ties them together. Its mail is :mod:`simulator.mail`.
"""
