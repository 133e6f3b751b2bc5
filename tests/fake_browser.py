"""A browser for sign-in tests (``BROWSER="python fake_browser.py %s"``): it opens the page and
follows its redirects, as a person who approves at once would; the log says where it ended."""

import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=30) as page:
        print(f"ended at {page.url}: {page.status}", file=sys.stderr)
except (urllib.error.URLError, OSError) as exc:
    print(f"could not open the page: {exc}", file=sys.stderr)
