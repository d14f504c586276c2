"""The web process loads its views before it freezes what it loaded (config/wsgi.py)."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc, json, sys
import config.wsgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "urlconf_loaded": sys.modules.get(%r) is not None,
    "tracked_after": len(gc.get_objects()),
}))
"""


def test_the_urlconf_is_loaded_before_the_freeze():
    # A process of its own: the web process's start, not this test process's.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(  # noqa: S603 (this interpreter on a fixed probe)
        [sys.executable, "-c", PROBE % settings.ROOT_URLCONF],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["urlconf_loaded"]
    # Nearly everything alive is frozen: what the collector would still walk
    # is a small fraction of it (before the URLconf moved ahead of the freeze,
    # about a quarter of the long-lived objects were left out).
    assert probe["frozen"] > 10 * probe["tracked_after"]
