"""Copied as ``sitecustomize.py`` onto the dashboard server's PYTHONPATH by the offline test.

Never imported by the tests themselves. In the server's process, reaching any host that is not
this machine fails at once, as with no internet, and is appended to the file named by
``LLM_MARKET_OUTSIDE_LOG``: name resolution (``socket.getaddrinfo``), connections by name
(``socket.create_connection``) and connections to an address (``socket.socket.connect``). A
line in ``<log>.loaded`` says the guard is in place.
"""

import ipaddress
import os
import socket

LOG = os.environ["LLM_MARKET_OUTSIDE_LOG"]


def is_local(host) -> bool:
    """Loopback, unspecified (a bind to every interface) or no host at all."""
    if isinstance(host, bytes):
        host = host.decode()
    if host in (None, "", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def refuse(call: str, host, port):
    """Log the attempt and fail like a machine without internet."""
    with open(LOG, "a") as log:
        log.write(f"{call} {host}:{port} (pid {os.getpid()})\n")
    raise socket.gaierror(socket.EAI_NONAME, f"offline test: {host} is outside this machine")


real_getaddrinfo = socket.getaddrinfo
real_create_connection = socket.create_connection


def getaddrinfo(host, port, *args, **kwargs):
    """``socket.getaddrinfo`` for local hosts only."""
    if not is_local(host):
        refuse("getaddrinfo", host, port)
    return real_getaddrinfo(host, port, *args, **kwargs)


def create_connection(address, *args, **kwargs):
    """``socket.create_connection`` to local hosts only."""
    if not is_local(address[0]):
        refuse("create_connection", address[0], address[1])
    return real_create_connection(address, *args, **kwargs)


def local_only(real):
    """A ``socket.socket`` connect method that refuses addresses outside this machine."""

    def connect(self, address):
        if isinstance(address, tuple) and not is_local(address[0]):
            refuse(real.__name__, address[0], address[1])
        return real(self, address)

    return connect


socket.getaddrinfo = getaddrinfo
socket.create_connection = create_connection
socket.socket.connect = local_only(socket.socket.connect)
socket.socket.connect_ex = local_only(socket.socket.connect_ex)
with open(LOG + ".loaded", "a") as marker:
    marker.write(f"{os.getpid()}\n")
