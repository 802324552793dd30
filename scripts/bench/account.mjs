// A signed-in user, an API key and an agent, obtained the way a user would: REST calls and the link
// that outbox mode (SMTP_URL unset) prints to the server log.

async function json(server, method, path, { body, cookie, headers = {} } = {}) {
  const res = await fetch(server.url + path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(cookie ? { cookie: `session=${cookie}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
  return { status: res.status, body: text ? JSON.parse(text) : null, cookie: setCookie?.slice(8).split(';')[0] ?? null };
}

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Registers `email` with a new workspace, verifies through the logged link, and returns the session cookie. */
export async function signUp(server, email, workspaceName) {
  expectStatus(await json(server, 'POST', '/v1/auth/register', { body: { email, workspaceName } }), 200, 'register');
  // The outbox's log line: JSON (`"to":"<email>",…,"link":"<link>"`), or the text of older builds (`for <email>: <link>`).
  const to = email.replace(/[.]/g, '\\.');
  const link = await server.waitForLine(new RegExp(`(?:"to":"${to}".*"link":"|for ${to}: )([^\\s"]+/auth/verify\\?token=[A-Za-z0-9_%-]+)`), 10_000);
  const token = new URL(link[1]).searchParams.get('token');
  const verified = await json(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
  expectStatus(verified, 200, 'verify');
  return verified.cookie;
}

/** A new API key restricted to `ranges`, and one agent so that GET /v1/agents has something to list. */
export async function createKeyAndAgent(server, cookie, ranges) {
  const key = expectStatus(await json(server, 'POST', '/v1/api-keys', { cookie, body: { name: 'bench' } }), 201, 'create key');
  expectStatus(await json(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ranges } }), 200, 'set ranges');
  expectStatus(await json(server, 'POST', '/v1/agents', { cookie, body: { name: 'bench-agent', label: 'benchmark' } }), 201, 'create agent');
  return key;
}

/** The id of the workspace the session is signed in to (GET /v1/auth/me). */
export async function workspaceIdOf(server, cookie) {
  return expectStatus(await json(server, 'GET', '/v1/auth/me', { cookie }), 200, 'me').workspace.id;
}

/** One request, to check a scenario answers what it should before it is measured. */
export async function probe(server, path, headers) {
  return json(server, 'GET', path, { headers });
}
