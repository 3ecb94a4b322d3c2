"""Container health check: exit 0 when URL returns HTTP 200, else 1 (no curl in the slim image).

Usage: ``python healthcheck.py [URL]``; the default URL is the hub's ``/healthz`` on
``HUB_PORT`` (8000).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 4.0


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else f"http://127.0.0.1:{os.environ.get('HUB_PORT', '8000')}/healthz"
    if not url.startswith(("http://", "https://")):
        print(f"health check failed: {url!r} is not an http(s) URL", file=sys.stderr)
        return 1

    # No proxy: the URL is the container's own loopback. When the Docker client's config.json
    # sets proxies, every container gets HTTP_PROXY and the like, and urllib would use them.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=TIMEOUT_S) as response:
            status = response.status
    except (urllib.error.URLError, OSError) as exc:
        print(f"health check failed: {url}: {exc}", file=sys.stderr)
        return 1

    if status != 200:
        print(f"health check failed: {url} returned HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
