import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest

#: Artist names that would run, or break the page, if shown as HTML.
EVIL = ['<script>window.__pwned = 1</script>', '</script><script>window.__pwned = 2</script>',
        '<img src=x onerror="window.__pwned = 3">', "Guns N' \"Roses\" & <b>friends</b>", "\u2028line\u2029sep"]
N_EXPLORER_ARTISTS = 300


def explorer_factors() -> dict:
    """Two methods' random factors for 300 artists (seeded)."""
    rng = np.random.default_rng(0)
    return {"LSA": rng.standard_normal((N_EXPLORER_ARTISTS, 8)), "ALS": rng.standard_normal((N_EXPLORER_ARTISTS, 8))}


@pytest.fixture(scope="session")
def explorer_lists():
    """RelatedLists over 300 artists: hostile names first, then Björk (the most listened), Radiohead, Sigur Rós."""
    from recsys_utils.explorer import RelatedLists

    names = [f"artist {i}" for i in range(N_EXPLORER_ARTISTS)]
    names[:len(EVIL)] = EVIL
    names[10], names[11], names[12] = "Björk", "Radiohead", "Sigur Rós"
    listeners = np.random.default_rng(1).integers(1, 200, N_EXPLORER_ARTISTS)
    listeners[:len(EVIL)] = 100  # shown
    listeners[10] = 500
    return RelatedLists.build(explorer_factors(), names, listeners, n=10, min_listeners=5, dataset="<i>test</i>",
                              parameters={"LSA": "eight random factors", "ALS": "eight others"}, show_progress=False)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own parsed-data cache, so no test sees another's files."""
    monkeypatch.setenv("RECSYS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def shared_data() -> Path:
    value = os.environ.get("RECSYS_DATA_DIR")
    data = Path(value) if value else None
    if data is None or not data.is_dir():
        pytest.skip("real data not available: set RECSYS_DATA_DIR (CI uses ../shared/data)")
    return data


@pytest.fixture
def head_360k(shared_data) -> Path:
    path = shared_data / "lastfm-dataset-360K-head10000" / "usersha1-artmbid-artname-plays.tsv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture
def hetrec_2k(shared_data) -> Path:
    path = shared_data / "hetrec2011-lastfm-2k"
    if not (path / "user_artists.dat").is_file():
        pytest.skip(f"{path} not present")
    return path


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.responses[path]``: a list of bodies, one per request, the last repeated."""

    def do_GET(self):
        bodies = self.server.responses.get(self.path)
        if not bodies:
            self.send_error(404)
            return
        body = bodies.pop(0) if len(bodies) > 1 else bodies[0]
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A web server on 127.0.0.1 serving what the test puts in ``server.responses``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.responses = {}
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
