"""W7 peer: aiohttp's web server (asyncio, or uvloop with --uvloop).

GET / answers "Hello, World!\\n", GET /16k 16,384 bytes (Content-Length
set by aiohttp), on 127.0.0.1:PORT, until SIGTERM.

Usage: w7.py PORT [--uvloop]
"""
import asyncio
import sys

from aiohttp import web

HELLO = b"Hello, World!\n"
BIG = b"x" * 16384


async def hello(request):
    return web.Response(body=HELLO, content_type="text/plain")


async def big(request):
    return web.Response(body=BIG, content_type="application/octet-stream")


def main():
    port = int(sys.argv[1])
    if "--uvloop" in sys.argv[2:]:
        import uvloop
        uvloop.install()
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/16k", big)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()
