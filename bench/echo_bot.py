"""A stock botbuilder 4.17.1 echo bot over HTTP, the yardstick for ``bench/bench_load.py``.

aiohttp + ``CloudAdapter`` in local mode (no app id), msrest as shipped (no
``bot.sdk_patches``). The only code beyond the SDK sample is the response: botbuilder
4.17.1's aiohttp integration answers ``deliveryMode: expectReplies`` with a 500 (it
serialises the ``ExpectedReplies`` dict twice, docs/notes), so this handler authenticates
and runs the turn through the adapter's own ``process_activity`` and writes the body the
adapter returns, as the SDK would if that bug were fixed.

Run: ``python bench/echo_bot.py --port 3979``
"""

from __future__ import annotations

import argparse
import json

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


class _Config:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


def build_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        activity = Activity().deserialize(body)
        auth_header = request.headers.get("Authorization", "")
        response = await adapter.process_activity(auth_header, activity, bot.on_turn)
        if response is None:
            return web.Response(status=201)
        out = response.body
        if out is not None and hasattr(out, "serialize"):
            out = serializer_helper(out)
        return web.json_response(out, status=int(response.status or 200))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3979)
    args = parser.parse_args()
    web.run_app(build_app(), host=args.host, port=args.port, access_log=None, print=None)
