// A resource server on express-jwt with jwks-rsa (the versions in
// ../package.json), configured as express-jwt's README does for a JWKS
// ("Retrieve key dynamically", https://github.com/auth0/express-jwt/blob/v8.5.1/README.md)
// with jwks-rsa's expressJwtSecret as jwks-rsa's express example does
// (https://github.com/auth0/node-jwks-rsa/blob/v4.1.0/EXAMPLES.md, "Express"),
// with only its jwksUri (cache and rateLimit left at their defaults):
//
//   expressjwt({ secret: expressJwtSecret({ jwksUri }), algorithms: ['RS256'], issuer, audience })
//
// algorithms is required by express-jwt. Everything else is the
// libraries' defaults (jsonwebtoken's verify: no clockTolerance, no
// maxAge). A refused token is an UnauthorizedError (err.status 401) passed
// to next(), which express's default error handler answers: 401, an HTML
// body, no WWW-Authenticate.
//
// GET /api with a bearer token the middleware accepts is 200 {"ok":true}.

import http from 'node:http';
import express from 'express';
import { expressjwt } from 'express-jwt';
import jwksRsa from 'jwks-rsa';
import { settings, listen } from './common.mjs';

const { issuer, audience, jwksUri, port } = settings();
const app = express();
app.use(expressjwt({
  secret: jwksRsa.expressJwtSecret({ jwksUri }),
  algorithms: ['RS256'],
  issuer,
  audience,
}));
app.get('/api', (req, res) => res.json({ ok: true }));
listen(http.createServer(app), port);
