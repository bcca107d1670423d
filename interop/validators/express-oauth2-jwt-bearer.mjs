// A resource server on Auth0's express-oauth2-jwt-bearer (the version in
// ../package.json), configured as its README's "Getting started" does:
// auth({ issuerBaseURL, audience }) on an express app
// (https://github.com/auth0/node-oauth2-jwt-bearer/blob/main/packages/express-oauth2-jwt-bearer/README.md).
// issuerBaseURL makes it read the authority's discovery document (jwks_uri,
// issuer, id_token_signing_alg_values_supported). Everything else is the
// library's default (clockTolerance 5 s, strict false, no maxTokenAge) and
// its own error handling: the middleware passes an UnauthorizedError with
// status 401 and a WWW-Authenticate header to next(), and express's default
// error handler answers with them.
//
// GET /api with a bearer token the middleware accepts is 200 {"ok":true}.

import http from 'node:http';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { settings, listen } from './common.mjs';

const { issuer, audience, port } = settings();
const app = express();
app.use(auth({ issuerBaseURL: issuer, audience }));
app.get('/api', (req, res) => res.json({ ok: true }));
listen(http.createServer(app), port);
