"""A TCP proxy a test controls: pause it (a frozen server), drop it (a server gone).

The shared database servers must never be stopped; a test points its app at one of
these instead and breaks the proxy.
"""

from __future__ import annotations

import socket
import threading
import typing as t


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``, until told otherwise.

    - :meth:`pause`: connections stay open but no byte goes through (a frozen server:
      the kernel still accepts, nothing answers);
    - :meth:`drop`: every connection is closed and new ones are closed at once (a
      server that went away);
    - :meth:`resume`: back to normal.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._flowing = threading.Event()
        self._flowing.set()
        self._dropped = False
        self._closed = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._dropped:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()
                if self._dropped:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                _close(s)

    def pause(self) -> None:
        self._flowing.clear()

    def drop(self) -> None:
        self._dropped = True
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            _close(s)
        self._flowing.set()

    def resume(self) -> None:
        self._dropped = False
        self._flowing.set()

    def close(self) -> None:
        self._closed = True
        self.drop()
        self._listener.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: t.Any) -> None:
        self.close()


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
