import { z } from 'zod';
import { agentLabelSchema, agentNameSchema, idSchema, isoTimestamp, nullableTimestamp, pageCursorSchema } from './common.js';

export const createAgentInput = z.object({
  name: agentNameSchema,
  label: agentLabelSchema.nullish().transform((l) => (l ? l : null)),
});
export const agentIdInput = z.object({ id: idSchema });

export const AGENT_STATUSES = ['online', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
/** An agent is online while its last heartbeat is younger than this (AGENT_OFFLINE_AFTER_SECONDS). */
export const DEFAULT_AGENT_OFFLINE_AFTER_SECONDS = 90;
/** How often the reference agent reports in. */
export const AGENT_HEARTBEAT_SECONDS = 30;
export const MAX_AGENT_PAGE = 1000;
export const DEFAULT_AGENT_PAGE = 100;

export const agentVersionSchema = z
  .string({ error: 'version must be a string.' })
  .max(1000, 'version must be at most 50 characters.')
  .trim()
  .min(1, 'version must not be empty.')
  .max(50, 'version must be at most 50 characters.')
  .regex(/^[\x21-\x7e]*$/, 'version must be printable ASCII without spaces (e.g. 1.4.2).');

/** The body of a heartbeat (optional: `{}` or none). */
export const heartbeatInput = z.object({ version: agentVersionSchema.optional() });

/** `GET /v1/agents?status=&limit=&cursor=`; the next page's URL comes in a `Link: <…>; rel="next"` header. */
export const listAgentsQuery = z.object({
  status: z.enum(AGENT_STATUSES, { error: 'status must be online or offline.' }).optional(),
  limit: z.coerce
    .number({ error: 'limit must be a number.' })
    .int('limit must be a whole number.')
    .min(1, 'limit must be at least 1.')
    .max(MAX_AGENT_PAGE, `limit must be at most ${MAX_AGENT_PAGE}.`)
    .default(DEFAULT_AGENT_PAGE),
  cursor: pageCursorSchema.optional(),
});
/** tRPC answers a page in its body instead of a header. */
export const agentPageInput = listAgentsQuery;

export const agent = z.object({
  id: z.string(),
  name: z.string(),
  label: z.string().nullable(),
  createdAt: isoTimestamp,
  lastSeenAt: nullableTimestamp.describe('The last heartbeat; null until the first'),
  lastSeenIp: z.string().nullable().describe('The client IP of the last heartbeat'),
  version: z.string().nullable().describe('What the agent reported with its last heartbeat that named one'),
  status: z.enum(AGENT_STATUSES).describe('online while the last heartbeat is younger than the offline threshold (90 s by default)'),
});
export const agentList = z.array(agent);
export const agentPage = z.object({ data: agentList, nextCursor: z.string().nullable() });

export type CreateAgentInput = z.input<typeof createAgentInput>;
export type Agent = z.infer<typeof agent>;
export type AgentPage = z.infer<typeof agentPage>;
export type ListAgentsQuery = z.infer<typeof listAgentsQuery>;
