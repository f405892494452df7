"""Adapters from the core's back-office port (``servicedesk.backoffice.BackOffice``) to
real back offices; this package is the only place that talks to one.

    topdesk.py   TopdeskBackOffice: incidents over TOPdesk's REST API; deliver looks the
                 ticket up by externalNumber before creating it; updates polls status and
                 actions; push writes our events back (the status mapping is in its docstring)
    webhook.py   WebhookBackOffice: the ticket as signed, versioned JSON POSTed to a URL;
                 sign / verify (HMAC-SHA256 over timestamp and body) and parse_inbound for
                 the inbound status endpoint (POST /api/v1/webhook/status)
    _http.py     aiohttp plumbing shared by both: one mapping of timeouts, connection
                 errors and status codes to BackOfficeUnavailable / BackOfficeRejected

    builtin.py   BuiltinBackOffice: tickets stay here; their cards are posted in the queue's
                 linked Teams channel and updated on every event (through the core's
                 TicketCards port, implemented in bot/channel_cards.py)

Tests talk to real HTTP servers: ``tests/fake_topdesk.py`` and a receiver in
``tests/test_webhook_adapter.py``.
"""
