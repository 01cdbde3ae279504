"""A policy in Python: an API-key check in front of the built-in echo handler.

    python3 examples/python/auth_policy.py [ADDRESS]   (send x-api-key: k-ada)
"""
import signal
import sys

import apigw

KEYS = {"k-ada": "ada", "k-bob": "bob"}  # key -> consumer

config = {
    "listeners": [{"name": "public", "address": sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"}],
    "routes": [{"name": "echo", "match": {"path_prefix": "/"}, "handler": "echo", "policies": ["api-key"]}],
}

# Signals go to sigwait below; blocked before start so the workers inherit the mask.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})

with apigw.Gateway(config) as g:

    @g.policy("api-key")
    def api_key(req):
        consumer = KEYS.get(req.headers.get("x-api-key"))
        if consumer is None:
            return 401, {"content-type": "text/plain"}, "unknown API key\n"
        req.set_consumer(consumer)
        req.set_header("x-consumer", consumer)  # the echo handler shows it
        return None  # go on

    g.start()
    print("listening on http://%s/ (send x-api-key: k-ada)" % g.address, flush=True)
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    g.stop()
