"""The Python binding's first program: a handler in Python, served until Ctrl-C.

    python3 examples/python/hello.py [ADDRESS]     (APIGW_LIBRARY=path/to/libapigw.so)
"""
import signal
import sys

import apigw

config = {
    "listeners": [{"name": "public", "address": sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"}],
    "routes": [{"name": "hello", "match": {"path": "/hello/{name}"}, "handler": "hello"}],
}

# Signals go to sigwait below; blocked before start so the workers inherit the mask.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})

with apigw.Gateway(config) as g:

    @g.handler("hello")
    def hello(req):
        return 200, {"content-type": "text/plain"}, "hello, %s\n" % req.params["name"]

    g.start()
    print("listening on http://%s/hello/world" % g.address, flush=True)
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    g.stop()
