import * as c from '@pc/contract';
import { ERROR_CODES, REASON_PHRASES } from '@pc/core';
import { z } from 'zod';
import { OPERATIONS, type Operation, openApiPath } from './operations.js';

type Json = Record<string, unknown>;

/** Every code of the one error table, so clients can switch on `code`. */
const errorSchema = c.errorBody.extend({ code: z.enum(Object.keys(ERROR_CODES) as [string, ...string[]]) });

/** The entities answers are made of, named so that each is one schema wherever it appears. */
const ENTITIES: Array<[z.ZodType, string]> = [
  [c.userSummary, 'UserSummary'],
  [c.workspaceSummary, 'WorkspaceSummary'],
  [c.user, 'User'],
  [c.workspace, 'Workspace'],
  [c.sessionItem, 'Session'],
  [c.apiKeyListItem, 'ApiKey'],
  [c.auditLogEntry, 'AuditLogEntry'],
];

/**
 * Named schemas for `components.schemas`: each entity and input once, referred to everywhere else.
 * Inputs are rendered as zod parses them (defaults optional), outputs as handlers send them.
 */
function components(ops: readonly Operation[]): { schemas: Json } {
  const inputs = z.registry<{ id: string }>();
  const outputs = z.registry<{ id: string }>();
  outputs.add(errorSchema, { id: 'Error' });
  for (const [schema, id] of ENTITIES) outputs.add(schema, { id });
  for (const op of ops) {
    if (op.body && !inputs.has(op.body.schema)) inputs.add(op.body.schema, { id: op.body.name });
    if (!outputs.has(op.ok.schema)) outputs.add(op.ok.schema, { id: op.ok.name });
  }
  const uri = (id: string) => `#/components/schemas/${id}`;
  const render = (registry: typeof inputs, io: 'input' | 'output') =>
    (z.toJSONSchema(registry, { uri, io, unrepresentable: 'any' }) as { schemas: Record<string, Json> }).schemas;
  const schemas: Json = {};
  for (const [id, schema] of Object.entries({ ...render(inputs, 'input'), ...render(outputs, 'output') })) {
    const { $schema: _drop, $id: _id, ...rest } = schema;
    schemas[id] = rest;
  }
  return { schemas };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonOf = (name: string, example?: unknown) => ({ 'application/json': { schema: ref(name), ...(example !== undefined ? { example } : {}) } });

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests a minute this key may make', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in this window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
};

function responses(op: Operation): Json {
  const okHeaders: Json = {};
  if (op.cookie === 'set') {
    okHeaders['Set-Cookie'] = {
      description: 'The session: `session=<token>; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000`, plus `Secure` when PUBLIC_URL is https',
      schema: { type: 'string' },
    };
  }
  if (op.cookie === 'clear') okHeaders['Set-Cookie'] = { description: 'Clears the session cookie (`Max-Age=0`), unless `scope=others`', schema: { type: 'string' } };
  if (op.auth === 'keyOrSession') Object.assign(okHeaders, RATE_LIMIT_HEADERS);
  if (op.paged) okHeaders.Link = { description: 'When there is more: `<URL of the next page>; rel="next"`', schema: { type: 'string' } };
  const out: Json = {
    [op.ok.status]: { description: op.ok.description, ...(Object.keys(okHeaders).length ? { headers: okHeaders } : {}), content: jsonOf(op.ok.name, op.ok.example) },
  };
  const statuses = [...new Set([400, ...op.errors, 500, ...(op.id === 'openApiDocument' ? [] : [503])])].sort();
  for (const status of statuses) {
    const codes = Object.entries(ERROR_CODES)
      .filter(([, v]) => v.status === status)
      .map(([k]) => `\`${k}\``);
    const headers = status === 429 || status === 503 ? { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } : undefined;
    out[status] = { description: `${REASON_PHRASES[status] ?? 'Error'}${codes.length ? `: ${codes.join(', ')}` : ''}`, ...(headers ? { headers } : {}), content: jsonOf('Error') };
  }
  return out;
}

const SECURITY: Record<Operation['auth'], Json[]> = {
  public: [],
  session: [{ session: [] }],
  keyOrSession: [{ apiKey: [] }, { session: [] }],
};

function operation(op: Operation): Json {
  const params: Json[] = [];
  for (const name of op.path.match(/:(\w+)/g) ?? []) params.push({ name: name.slice(1), in: 'path', required: true, schema: { type: 'string', maxLength: 100 } });
  if (op.query) {
    // As the handler parses it (defaults make a parameter optional); one schema, so no second copy of its limits.
    const js = z.toJSONSchema(op.query.schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(js.properties)) {
      params.push({ name, in: 'query', required: js.required?.includes(name) ?? false, description: op.query.describe[name], schema });
    }
  }
  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: SECURITY[op.auth],
    ...(params.length ? { parameters: params } : {}),
    ...(op.body ? { requestBody: { required: op.body.required ?? true, content: jsonOf(op.body.name, op.body.example) } } : {}),
    responses: responses(op),
  };
}

/** OpenAPI 3.1 for /v1, built from the same operation table and zod schemas the router uses. */
export function buildOpenApi(publicUrl: string) {
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) (paths[openApiPath(op.path)] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Private Connect API',
      version: '1.0.0',
      description:
        'Self-hosted authentication core: magic-link sign-in (session cookie) and workspace API keys (`x-api-key`). Errors have one shape (`Error`); `code` is one of the error table.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: `${publicUrl}/v1` }],
    tags: [
      { name: 'Auth', description: 'Registration and sign-in by magic link' },
      { name: 'Sessions', description: 'Where the user is signed in' },
      { name: 'API keys', description: 'Keys of the workspace: shown once, listed by prefix, restricted to IP ranges, rolled, revoked' },
      { name: 'Usage', description: 'Requests per key over time, by outcome' },
      { name: 'Agents', description: 'The machines of a workspace, for API keys: registered, reporting in by heartbeat' },
      { name: 'Webhooks', description: 'Events POSTed to your endpoints, signed by the Standard Webhooks scheme' },
      { name: 'Audit log', description: 'What happened in the workspace' },
      { name: 'Meta', description: 'About the API itself' },
    ],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: '`pc_live_…`, created in the admin or with POST /api-keys' },
        session: { type: 'apiKey', in: 'cookie', name: 'session', description: 'Set by GET /auth/verify (a mailed magic link)' },
      },
      ...components(OPERATIONS),
    },
    paths,
  };
}
