"""A resource server on PyJWT (Debian's python3-jwt; .ci/run installs it),
configured as PyJWT's documentation does for a JWKS ("Retrieve RSA signing
keys from a JWKS endpoint",
https://pyjwt.readthedocs.io/en/2.6.0/usage.html#retrieve-rsa-signing-keys-from-a-jwks-endpoint):

    signing_key = PyJWKClient(jwks_uri).get_signing_key_from_jwt(token)
    jwt.decode(token, signing_key.key, algorithms=["RS256"], audience=..., issuer=...)

algorithms is required by jwt.decode (it has no default). Everything else
is PyJWT's defaults: no leeway, exp optional, nbf and iat checked. A refused
token is 401 with the exception's name; there is no WWW-Authenticate (the
application writes the answer).

GET /api with a bearer token PyJWT accepts is 200 {"ok":true}. The
settings come from API_ISSUER, API_AUDIENCE and API_JWKS_URI, the port
from the first argument or API_PORT (0 picks a free one); the server
prints its URL once it listens on 127.0.0.1.
"""

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from jwt import PyJWKClient

ISSUER = os.environ["API_ISSUER"]
# No API_AUDIENCE: jwt.decode without an audience, which refuses any
# token that carries aud (PyJWT's _validate_aud).
AUDIENCE = os.environ.get("API_AUDIENCE") or None
JWKS = PyJWKClient(os.environ["API_JWKS_URI"])


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if self.path != "/api" or not auth.startswith("Bearer "):
            self.answer(401, {"error": "no bearer token"})
            return
        token = auth[len("Bearer "):]
        try:
            key = JWKS.get_signing_key_from_jwt(token).key
            jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
        except Exception as e:  # every refusal: PyJWTError, an unknown kid
            self.answer(401, {"error": type(e).__name__})
            return
        self.answer(200, {"ok": True})

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("API_PORT", "0"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
