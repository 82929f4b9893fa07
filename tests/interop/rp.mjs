// A relying party built on openid-client (a certified OpenID Connect RP library),
// driven step by step by tests/interop/test_openid_client.py:
//
//   node rp.mjs start   < {"issuer", "clientId", "clientSecret", "redirectUri", "scope"}
//     -> {"url", "codeVerifier", "state", "nonce"}            (the browser step is Python's)
//   node rp.mjs finish  < {... , "callbackUrl", "codeVerifier", "state", "nonce", "postLogoutRedirectUri"}
//     -> what the RP learnt: ID token claims, userinfo, the refreshed tokens, an end-session URL
//
// Every check is openid-client's own: issuer and "iss" response parameter (RFC 9207),
// state, PKCE, the ID token's signature (JWKS), iss, aud, exp, iat, nonce, the userinfo
// subject, and the refreshed ID token. The issuer is plain http on 127.0.0.1 in the test,
// which openid-client only accepts with allowInsecureRequests (used here, and only here).
import * as client from 'openid-client';

async function readInput() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function configure(input) {
  return client.discovery(
    new URL(input.issuer),
    input.clientId,
    { client_secret: input.clientSecret },
    client.ClientSecretBasic(input.clientSecret),
    { execute: [client.allowInsecureRequests] },
  );
}

async function start(input) {
  const config = await configure(input);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: input.redirectUri,
    scope: input.scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: url.href, codeVerifier, state, nonce };
}

async function finish(input) {
  const config = await configure(input);
  const tokens = await client.authorizationCodeGrant(config, new URL(input.callbackUrl), {
    pkceCodeVerifier: input.codeVerifier,
    expectedState: input.state,
    expectedNonce: input.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const refreshedClaims = refreshed.claims();
  const refreshedUserinfo = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);

  let reusedRefreshTokenError = null;
  try {
    await client.refreshTokenGrant(config, tokens.refresh_token);
  } catch (error) {
    reusedRefreshTokenError = error.error ?? error.code ?? String(error);
  }

  const endSessionUrl = client.buildEndSessionUrl(config, {
    id_token_hint: refreshed.id_token,
    post_logout_redirect_uri: input.postLogoutRedirectUri,
    state: 'interop-logout',
  });
  return {
    claims,
    userinfo,
    expiresIn: tokens.expiresIn(),
    hasRefreshToken: Boolean(tokens.refresh_token),
    refreshed: {
      claims: refreshedClaims,
      userinfo: refreshedUserinfo,
      rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token,
    },
    reusedRefreshTokenError,
    endSessionUrl: endSessionUrl.href,
  };
}

const commands = { start, finish };
const command = commands[process.argv[2]];
if (!command) {
  console.error(`usage: node rp.mjs ${Object.keys(commands).join('|')} < input.json`);
  process.exit(2);
}
try {
  const result = await command(await readInput());
  process.stdout.write(JSON.stringify(result));
} catch (error) {
  console.error(error?.stack ?? String(error));
  if (error?.cause) console.error('cause:', JSON.stringify(error.cause));
  process.exit(1);
}
