// A panva oidc-provider for jwtrace's interop tests: device flow, client
// credentials, resource indicators with JWT access tokens, RS256, ES256 and
// EdDSA keys made at start, and the built-in dev login and consent pages.
//
// It listens on 127.0.0.1 only, on the port given in $PORT (0 or unset: a free
// one), and prints one line on stdout once it serves: its issuer URL. Logs go
// to stderr. Stop it with SIGTERM or SIGINT (or kill it: it keeps no state).
import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const log = (...args) => console.error(new Date().toISOString(), ...args);

// Signing keys, new at every start: one per algorithm family, with a kid and
// use but no alg (the provider picks the algorithm per client and resource).
function key(kid, type, options) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig' };
}
const jwks = {
  keys: [
    key('rs-1', 'rsa', { modulusLength: 2048 }),
    key('es-1', 'ec', { namedCurve: 'P-256' }),
    key('ed-1', 'ed25519'),
  ],
};

// Resource servers (RFC 8707 resource indicators). Each gets JWT access
// tokens signed with its own algorithm; "short" tokens live 2 seconds, so a
// test can watch one expire.
const resourceServers = {
  'https://orders.example': { scope: 'orders.read orders.write', alg: 'ES256' },
  'https://billing.example': { scope: 'billing.read', alg: 'EdDSA' },
  'https://ledger.example': { scope: 'ledger.read', alg: 'RS256' },
  'https://short.example': { scope: 'short.read', alg: 'RS256', ttl: 2 },
};

const deviceGrants = ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'];
const deviceClient = (clientId, alg) => ({
  client_id: clientId,
  token_endpoint_auth_method: 'none',
  grant_types: deviceGrants,
  response_types: [],
  redirect_uris: [],
  id_token_signed_response_alg: alg,
});

const configuration = {
  clients: [
    // Public device clients, one per ID token algorithm.
    deviceClient('device-rs', 'RS256'),
    deviceClient('device-es', 'ES256'),
    deviceClient('device-ed', 'EdDSA'),
    // A public native client for the authorization code grant with PKCE:
    // loopback redirect URIs match with any port (RFC 8252 §7.3;
    // oidc-provider lib/models/client.js #redirectAllowed), and PKCE is
    // required for it (oidc-provider's pkce.required default for native
    // clients).
    {
      client_id: 'cli-code',
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      id_token_signed_response_alg: 'ES256',
    },
    // A confidential client for client credentials.
    {
      client_id: 'service',
      client_secret: 'service-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks,
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  // Every login name is an account; the dev login page takes any login
  // and any password.
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: `User ${id}`, email: `${id}@example.com`, email_verified: true };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      async getResourceServerInfo(ctx, resourceIndicator) {
        const rs = resourceServers[resourceIndicator];
        if (!rs) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: rs.scope,
          audience: resourceIndicator,
          accessTokenTTL: rs.ttl ?? 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: rs.alg } },
        };
      },
    },
  },
  // Access tokens live as long as their resource server says, else 1h.
  ttl: {
    AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
    ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
    DeviceCode: 600,
    IdToken: 3600,
    Grant: 3600,
    Interaction: 600,
    Session: 3600,
    RefreshToken: 86400,
  },
};

const server = http.createServer();
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (ctx, err) => log('server_error', err));
  provider.on('grant.error', (ctx, err) => log('grant.error', err.message, err.error_description ?? ''));
  provider.use(async (ctx, next) => {
    await next();
    log(ctx.method, ctx.path, ctx.status);
  });
  server.on('request', provider.callback());
  process.stdout.write(`${issuer}\n`);
  log(`oidc-provider serving ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
