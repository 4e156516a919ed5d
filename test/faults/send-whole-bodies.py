"""Python's requests, a client that writes its whole body before it reads the answer (issue #22, defect 8).

Usage: send-whole-bodies.py URL CA_FILE SIZES COUNT: POSTs COUNT bodies to URL/login, of the comma-separated
SIZES in bytes in turn, one at a time, and prints one JSON list: the status of each, or the error it saw.
"""
import json
import sys
import time

import requests

url, ca, sizes, count = sys.argv[1], sys.argv[2], [int(size) for size in sys.argv[3].split(",")], int(sys.argv[4])
prefix = b"username=alice&password="
bodies = {size: prefix + b"a" * (size - len(prefix)) for size in sizes}
outcomes = []
for index in range(count):
    size = sizes[index % len(sizes)]
    started = time.monotonic()
    outcome = {"bytes": size}
    try:
        answer = requests.post(
            url + "/login",
            data=bodies[size],
            verify=ca,
            timeout=60,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        outcome["status"] = answer.status_code
    except requests.RequestException as error:  # a reset or a TLS EOF: what the issue saw
        outcome["error"] = type(error).__name__ + ": " + str(error)[-200:]
    outcome["ms"] = round((time.monotonic() - started) * 1000)
    outcomes.append(outcome)
print(json.dumps(outcomes))
