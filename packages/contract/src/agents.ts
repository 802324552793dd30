import { z } from 'zod';
import { agentLabelSchema, agentNameSchema, idSchema, isoTimestamp, nullableTimestamp } from './common.js';

export const createAgentInput = z.object({
  name: agentNameSchema,
  label: agentLabelSchema.nullish().transform((l) => (l ? l : null)),
});
export const agentIdInput = z.object({ id: idSchema });

export const agent = z.object({
  id: z.string(),
  name: z.string(),
  label: z.string().nullable(),
  createdAt: isoTimestamp,
  lastSeenAt: nullableTimestamp,
});
export const agentList = z.array(agent);

export type CreateAgentInput = z.input<typeof createAgentInput>;
export type Agent = z.infer<typeof agent>;
