"""W5 TCP echo server (docs/workloads.md): asyncio or uvloop, streams or protocol.

Usage: w5.py streams|protocol PORT [asyncio|uvloop]

Listens on 127.0.0.1:PORT (backlog 1024), sets TCP_NODELAY on every accepted
socket, writes back every byte as it arrives and serves until SIGTERM.

streams:  asyncio.start_server; read(65536) -> write -> await drain().
protocol: data_received -> transport.write.

The driver's readiness probe (one connection opened and closed) matters for
CPython: see docs/workloads.md, W5.
"""

import asyncio
import signal
import socket

from common import arg, fail, new_loop


def nodelay(transport):
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        nodelay(transport)
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def handle(reader, writer):
    nodelay(writer.transport)
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(kind, port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    if kind == "streams":
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    else:
        server = await loop.create_server(Echo, "127.0.0.1", port, backlog=1024)
    async with server:
        await stop


def main():
    kind = arg(1, "protocol")
    port = arg(2, 8888, int)
    loop_name = arg(3, "asyncio")
    if kind not in ("streams", "protocol"):
        fail("unknown kind %r (want streams or protocol)" % kind)
    with asyncio.Runner(loop_factory=lambda: new_loop(loop_name)) as runner:
        runner.run(serve(kind, port))


if __name__ == "__main__":
    main()
