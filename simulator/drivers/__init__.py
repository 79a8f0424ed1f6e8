"""The drivers: the protocol every journey and step uses to act on a portal
(``protocol``), and its in-process implementation (``in_process``). HTTP and browser
drivers implement the same protocol."""
