"""Run localstripe on 127.0.0.1 only, on a free port, without writing its store to disk.

Started by the `localstripe` fixture in a subprocess (`python localstripe_server.py`); it
prints the port it listens on, then serves until terminated. Its own CLI is not used: it
binds every address and pickles its store to /tmp after each write.
"""

import socket

import localstripe.resources as resources

resources.Store.dump_to_disk = lambda self: None  # keep the fake's state in memory only

from aiohttp import web  # noqa: E402
from localstripe.server import app  # noqa: E402

if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
