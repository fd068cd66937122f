"""Network guard for Python test programs driven by modeltrail's tests.

`install(loopback_url)` makes every HTTP request that `requests` (and so databricks-sdk) sends go to
the fake server at `loopback_url` (http://127.0.0.1:PORT) instead of the real host: the path and query
are kept, the original host goes in the `Host` header (and the scheme in `X-Forwarded-Proto`), so one
fake can play several hosts (workspaces, Azure AD, Azure Resource Manager). Any other attempt to open a
connection or resolve a name that is not loopback raises `NetworkGuardError`, so a test program cannot
reach the network by accident. Without `loopback_url`, every `requests` call raises too. Refusals are
also listed in `refused`, because libraries such as databricks-sdk catch some errors and go on.
"""

import socket
import urllib.parse

_LOOPBACK_NAMES = {"127.0.0.1", "::1", "localhost"}


class NetworkGuardError(ConnectionError):
    """Raised for any network access that is not the loopback fake (and recorded in `refused`)."""

    def __init__(self, message):
        super().__init__(message)
        refused.append(message)


# Every refusal so far, in order: a program reports them, since a library may swallow the error.
refused = []


def _is_loopback(host):
    return host is not None and str(host).strip("[]").lower() in _LOOPBACK_NAMES


def _guard_sockets():
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host if not isinstance(host, bytes) else host.decode()):
            raise NetworkGuardError(f"network guard: name resolution of {host!r} refused")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(address):
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise NetworkGuardError(f"network guard: connection to {address!r} refused")

    def connect(self, address):
        check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex


def install(loopback_url=None):
    """Routes `requests` to the loopback fake (or refuses every request) and guards raw sockets."""
    import requests.adapters

    _guard_sockets()
    real_send = requests.adapters.HTTPAdapter.send
    fake = urllib.parse.urlsplit(loopback_url) if loopback_url else None
    if fake is not None and not _is_loopback(fake.hostname):
        raise NetworkGuardError(f"network guard: {loopback_url} is not a loopback URL")

    def send(self, request, **kwargs):
        url = urllib.parse.urlsplit(request.url)
        if fake is None:
            raise NetworkGuardError(f"network guard: {request.method} {url.scheme}://{url.netloc}{url.path} refused")
        if not _is_loopback(url.hostname):
            request.headers["Host"] = url.netloc
            request.headers["X-Forwarded-Proto"] = url.scheme
            request.url = urllib.parse.urlunsplit((fake.scheme, fake.netloc, url.path or "/", url.query, ""))
        # Redirects are the caller's business; proxies from the environment never apply.
        kwargs["proxies"] = {}
        return real_send(self, request, **kwargs)

    requests.adapters.HTTPAdapter.send = send
