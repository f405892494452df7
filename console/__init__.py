"""The desk console: web pages for phone and counter staff, queue staff and the
front-office lead, served under ``/desk/`` by the same aiohttp app as the bot.

Server-rendered (Jinja2 through aiohttp-jinja2, autoescaped), no script needed. An
edge like ``bot/``: it calls the same ``servicedesk`` use cases, the same decision
pipeline (``dialogs.understand``) and the same knowledge as the chat, and never imports
the Bot Framework SDK. ``console.app.add_console(app)`` mounts it as a sub-application
with its own middlewares (session, CSRF, security headers), so nothing of it runs on
``/api/messages``.
"""
