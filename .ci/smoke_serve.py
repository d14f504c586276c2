"""Wait for a running server, then check /healthz and a demo login through the API."""

import json
import sys
import time
import urllib.error
import urllib.request

base = sys.argv[1]


def call(path, body=None, token=None):
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


deadline = time.monotonic() + 120
while True:
    try:
        status, health = call("/healthz")
        break
    except (urllib.error.URLError, ConnectionError):
        if time.monotonic() > deadline:
            sys.exit("server did not answer /healthz within 120 s")
        time.sleep(1)

assert status == 200 and health["database"] == "ok", health
print("smoke: /healthz", health)
for username in ["admin", "district_admin", "teacher_a", "donor_org", "supervisor"]:
    _, tokens = call("/api/v1/auth/token/", {"username": username, "password": "bangfu-demo-2026"})
    _, me = call("/api/v1/me/", token=tokens["access"])
    assert me["username"] == username, me
    print(f"smoke: {username} logged in with roles {me['roles']}")
