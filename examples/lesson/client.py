#!/usr/bin/env python3
"""The seed lesson's client code, unchanged but for the URL, the CA file and the passwords.

    python3 examples/lesson/client.py https://localhost:5001 lesson-data/tls/cert.pem
"""
import sys

base = sys.argv[1] if len(sys.argv) > 1 else "https://localhost:5001"
pubkey = sys.argv[2] if len(sys.argv) > 2 else "lesson-data/tls/cert.pem"

# In [1]
import requests
requests.packages.urllib3.disable_warnings()
cookies = dict()

# In [2]
resp = requests.post(base + "/login", verify=pubkey,
                     data=dict(username="Alice", password="wrong_pw"))

for k, v in resp.headers.items():
    print(f"{k}: {v}")
print()
print(resp.status_code, resp.text)
print(resp.cookies)

# In [3]
resp = requests.post(base + "/login", verify=pubkey,
                     data=dict(username="Alice", password="alice-lesson-pw-2021"))

for k, v in resp.headers.items():
    print(f"{k}: {v}")
print()
print(resp.status_code, resp.text)
print(resp.cookies)

# In [4]
cookies.update(resp.cookies)
print(cookies)

# In [5]
import json
resp = requests.get(base + '/get-info',
                    verify=pubkey, cookies=cookies)
print(json.loads(resp.text))

# In [6]
cookies['app1-username'] = "Bob"
resp = requests.get(base + '/get-info',
                    verify=pubkey, cookies=cookies)
print(resp.status_code, resp.text)

# In [7]
session = requests.Session()
resp = session.post(base + "/login", verify=pubkey,
                     data=dict(username="Bob", password="bob-lesson-pw-2021"))

for k, v in resp.headers.items():
    print(f"{k}: {v}")
print()
print(resp.status_code, resp.text)

# In [8]
resp = session.get(base + '/get-info', verify=pubkey)
print(json.loads(resp.text))
