import * as c from '@pc/contract';
import { z } from 'zod';

type Schema = z.ZodType;
const input = (s: Schema) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const output = (s: Schema) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' });

const json = (s: Schema) => ({ 'application/json': { schema: output(s) } });
const error = (description: string) => ({ description, content: json(c.errorBody) });
const body = (s: Schema) => ({ required: true, content: { 'application/json': { schema: input(s) } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const session = [{ session: [] }];
const keyOrSession = [{ apiKey: [] }, { session: [] }];

function op(summary: string, ok: { status: number; schema: Schema }, extra: Record<string, unknown> = {}, errors: number[] = []) {
  const responses: Record<string, unknown> = { [ok.status]: { description: 'Success', content: json(ok.schema) } };
  for (const s of [400, ...errors]) responses[s] = error(`Error (${s})`);
  return { summary, responses, ...extra };
}

/** OpenAPI 3.1 for /v1, generated from the same zod schemas the handlers parse with. */
export function buildOpenApi(publicUrl: string) {
  const success = c.successSchema;
  return {
    openapi: '3.1.0',
    info: { title: 'Private Connect API', version: '1.0.0', description: 'Self-hosted authentication core: magic links, sessions, workspace API keys.' },
    servers: [{ url: `${publicUrl}/v1` }],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        session: { type: 'apiKey', in: 'cookie', name: 'session' },
      },
    },
    paths: {
      '/auth/register': { post: op('Register a user and workspace (mails a link)', { status: 200, schema: c.registerResult }, { requestBody: body(c.registerInput) }, [409, 413, 415, 429]) },
      '/auth/login': { post: op('Mail a sign-in link', { status: 200, schema: c.loginResult }, { requestBody: body(c.loginInput) }, [413, 415, 429]) },
      '/auth/verify': {
        get: op('Verify a magic-link token; sets the session cookie', { status: 200, schema: c.verifyResult }, {
          parameters: [{ name: 'token', in: 'query', required: true, schema: { type: 'string' } }],
        }, [409, 429]),
      },
      '/auth/me': { get: op('The signed-in user and workspace', { status: 200, schema: c.meResult }, { security: session }, [401, 403]) },
      '/auth/logout': {
        post: op('End this session, the others, or all', { status: 200, schema: success }, {
          security: session,
          parameters: [{ name: 'scope', in: 'query', schema: { type: 'string', enum: ['local', 'others', 'global'] } }],
        }, [401, 403]),
      },
      '/auth/sessions': { get: op('Live sessions of the signed-in user', { status: 200, schema: c.sessionList }, { security: session }, [401, 403]) },
      '/auth/sessions/{id}': { delete: op('End one session', { status: 200, schema: success }, { security: session, parameters: [idParam] }, [401, 403, 404]) },
      '/api-keys': {
        post: op('Create an API key (the key is shown once)', { status: 201, schema: c.apiKeyCreated }, { security: session, requestBody: body(c.createApiKeyInput) }, [401, 403, 409, 413, 415]),
        get: op('List API keys, newest first', { status: 200, schema: z.array(c.apiKeyListItem) }, {
          security: session,
          parameters: [{ name: 'includeRevoked', in: 'query', schema: { type: 'boolean' } }],
        }, [401, 403]),
      },
      '/api-keys/{id}': {
        get: op('One API key', { status: 200, schema: c.apiKeyDetail }, { security: session, parameters: [idParam] }, [401, 403, 404]),
        delete: op('Revoke an API key (irreversible)', { status: 200, schema: success }, { security: session, parameters: [idParam] }, [401, 403, 404]),
      },
      '/api-keys/{id}/ip-restrictions': {
        put: op('Restrict a key to CIDR ranges ([] allows all)', { status: 200, schema: c.apiKeyDetail }, {
          security: session,
          parameters: [idParam],
          requestBody: body(c.updateIpRestrictionsInput),
        }, [401, 403, 404, 409, 413, 415]),
      },
      '/api-keys/{id}/roll': {
        post: op('Replace a key; the old one works through a grace period', { status: 201, schema: c.apiKeyCreated }, {
          security: session,
          parameters: [idParam],
          requestBody: { ...body(c.rollApiKeyInput), required: false },
        }, [401, 403, 404, 409]),
      },
      '/agents': {
        get: op("The workspace's agents, newest first", { status: 200, schema: c.agentList }, { security: keyOrSession }, [401, 403, 429]),
        post: op('Register an agent', { status: 201, schema: c.agent }, { security: keyOrSession, requestBody: body(c.createAgentInput) }, [401, 403, 413, 415, 429]),
      },
      '/agents/{id}': {
        get: op('One agent', { status: 200, schema: c.agent }, { security: keyOrSession, parameters: [idParam] }, [401, 403, 404, 429]),
        delete: op('Delete an agent', { status: 200, schema: success }, { security: keyOrSession, parameters: [idParam] }, [401, 403, 404, 429]),
      },
      '/audit-logs': {
        get: op('Audit log of the workspace, newest first', { status: 200, schema: c.auditLogPage }, {
          security: session,
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
            { name: 'action', in: 'query', schema: { type: 'string', enum: [...c.AUDIT_ACTIONS] } },
          ],
        }, [401, 403]),
      },
    },
  };
}
