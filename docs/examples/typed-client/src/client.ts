// A typed client of /v1: the paths, bodies and answers come from src/api.d.ts, which
// `npm run generate` makes from docs/openapi.json with openapi-typescript. A call to a path that
// does not exist, a missing field or a misspelt one is a type error, not a 404 at run time.
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

export type ApiKeyCreated = components['schemas']['ApiKeyCreated'];
export type ApiKeyDetail = components['schemas']['ApiKeyDetail'];
export type Agent = components['schemas']['Agent'];
export type ApiError = components['schemas']['Error'];

/** Thrown for an answer outside 2xx: the contract's error body, with its `code`. */
export class PrivateConnectError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(`${status} ${body.code}: ${body.message}`);
  }
}

function unwrap<T>(result: { data?: T; error?: ApiError; response: Response }): T {
  if (result.data === undefined) throw new PrivateConnectError(result.response.status, result.error!);
  return result.data;
}

/**
 * `baseUrl` ends in /v1 (e.g. http://localhost:3000/v1). Creating a key takes a signed-in session
 * (the `session=…` cookie that GET /auth/verify sets); everything a script does afterwards takes
 * the key alone.
 */
export function privateConnect(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  return {
    /** POST /api-keys: the full key is in the answer this once. */
    async createKey(sessionCookie: string, name: string, expiresAt?: string): Promise<ApiKeyCreated> {
      return unwrap(await client.POST('/api-keys', { body: expiresAt ? { name, expiresAt } : { name }, headers: { cookie: sessionCookie } }));
    },
    /** PUT /api-keys/{id}/ip-restrictions: the key then works only from these CIDR ranges ([] lifts it). */
    async restrictKey(sessionCookie: string, id: string, allowedIpRanges: string[]): Promise<ApiKeyDetail> {
      return unwrap(await client.PUT('/api-keys/{id}/ip-restrictions', { params: { path: { id } }, body: { allowedIpRanges }, headers: { cookie: sessionCookie } }));
    },
    /** POST /agents with an API key. */
    async registerAgent(apiKey: string, name: string): Promise<Agent> {
      return unwrap(await client.POST('/agents', { body: { name }, headers: { 'x-api-key': apiKey } }));
    },
    /** GET /agents with an API key. */
    async listAgents(apiKey: string): Promise<Agent[]> {
      return unwrap(await client.GET('/agents', { headers: { 'x-api-key': apiKey } }));
    },
  };
}
