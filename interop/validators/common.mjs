// What the validator servers share: their settings from the environment
// (API_ISSUER, API_AUDIENCE, API_JWKS_URI) and a port from the first
// argument or API_PORT (0, the default, picks a free one). Not ISSUER,
// AUDIENCE or JWKS_URI: express-oauth2-jwt-bearer reads those names itself
// as defaults (jwtVerifier in its dist/index.js), which would change its
// configuration behind the server's back. Each server prints its URL as the
// first line on stdout once it listens on 127.0.0.1, which is what the
// interop harness (startServer in harness_test.go) waits for.

export function settings() {
  const need = (name) => {
    const v = process.env[name];
    if (!v) {
      console.error(`${process.argv[1]}: set ${name}`);
      process.exit(2);
    }
    return v;
  };
  return {
    issuer: need('API_ISSUER'),
    audience: need('API_AUDIENCE'),
    jwksUri: process.env.API_JWKS_URI || '',
    port: Number(process.argv[2] ?? process.env.API_PORT ?? 0),
  };
}

// listen starts server (a node:http server or an express app's) on
// 127.0.0.1 and prints its URL.
export function listen(server, port) {
  server.listen(port, '127.0.0.1', () => {
    console.log(`http://127.0.0.1:${server.address().port}`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
