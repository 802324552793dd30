import { z } from 'zod';

export const errorBody = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  code: z.string(),
  message: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  retryAfter: z.number().int().optional(),
  requestId: z.string().optional(),
});
export type ErrorBody = z.infer<typeof errorBody>;

export interface IssueDetail {
  path: string;
  message: string;
}

/** zod issues as the contract's `details`: dotted paths (`allowedIpRanges.1`). */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): IssueDetail[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
