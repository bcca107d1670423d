// A resource server on panva's jose (the version in ../package.json), as
// its README shows a typical verifier: jwtVerify with createRemoteJWKSet on
// the authority's jwks_uri and the issuer and audience options, nothing
// else (https://github.com/panva/jose/blob/v6.2.18/docs/jwt/verify/functions/jwtVerify.md,
// "Usage with a JWKS"). Every other behaviour is the library's default:
// no clockTolerance, no algorithms, typ, maxTokenAge or requiredClaims.
//
// GET /api with a bearer token that jwtVerify accepts is 200 {"ok":true};
// anything else is 401 {"error": <the jose error's code>}.

import http from 'node:http';
import { jwtVerify, createRemoteJWKSet } from 'jose';
import { settings, listen } from './common.mjs';

const { issuer, audience, jwksUri, port } = settings();
const JWKS = createRemoteJWKSet(new URL(jwksUri));

const send = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method !== 'GET' || url.pathname !== '/api') {
    return send(res, 404, { error: 'not_found' });
  }
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) {
    return send(res, 401, { error: 'no_token' });
  }
  try {
    await jwtVerify(m[1], JWKS, { issuer, audience });
    send(res, 200, { ok: true });
  } catch (err) {
    send(res, 401, { error: err.code ?? 'ERR_UNKNOWN', message: err.message });
  }
});
listen(server, port);
