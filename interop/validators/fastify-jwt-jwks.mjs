// A resource server on fastify with fastify-jwt-jwks (the versions in
// ../package.json: fastify 5.12.8, fastify-jwt-jwks 3.0.0 on @fastify/jwt
// and fast-jwt), configured as fastify-jwt-jwks's README does
// (https://github.com/nearform/fastify-jwt-jwks/blob/v3.0.0/README.md,
// "Usage"), with the issuer given as well:
//
//   server.register(fastifyJwtJwks, { jwksUrl, audience, issuer })
//   server.get('/api', { preValidation: server.authenticate }, ...)
//
// Everything else is the libraries' defaults (fast-jwt's verifier: no
// clockTolerance, RS256 with a JWKS). A refused token is answered by the
// plugin: 401 and fastify's JSON error body, no WWW-Authenticate.
//
// GET /api with a bearer token the plugin accepts is 200 {"ok":true}.

import Fastify from 'fastify';
import fastifyJwtJwks from 'fastify-jwt-jwks';
import { settings } from './common.mjs';

const { issuer, audience, jwksUri, port } = settings();
const app = Fastify();
await app.register(fastifyJwtJwks, { jwksUrl: jwksUri, audience, issuer });
app.get('/api', { preValidation: app.authenticate }, async () => ({ ok: true }));
await app.listen({ port, host: '127.0.0.1' });
console.log(`http://127.0.0.1:${app.server.address().port}`);
process.on('SIGTERM', () => process.exit(0));
