"""The service desk core: conversations, tickets, the SLA clock and notifications.

This package holds the domain of the front office. It knows nothing of the Bot
Framework SDK, aiohttp or any back-office adapter; it defines small ports
(``typing.Protocol``) that the edges implement. Persistence lives in
``servicedesk.persistence`` (SQLAlchemy) behind those ports.
"""
