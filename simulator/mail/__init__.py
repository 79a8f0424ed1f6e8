"""The portal's mail: the emails of ``portal.yaml`` as real ``email.message`` objects
(``messages``), the protocol a tester reads mail with (``reader``), the mailbox
that files them (``mailbox``), the transports that carry
them, and an aiosmtpd SMTP sink (``smtp_sink``). Knows nothing of the portal."""
