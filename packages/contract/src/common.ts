import { z } from 'zod';
import { parseCidr } from './cidr.js';

// Header-bound values (mail headers, log lines) must never carry CR, LF or other control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
export const noControl = (s: string) => !CONTROL.test(s);

/**
 * Format characters (Unicode category Cf): the bidi controls U+202A–U+202E and U+2066–U+2069, the
 * zero-width ones (U+200B–U+200F, U+2060, U+FEFF), the soft hyphen and the like. None shows as
 * itself, and they can make a name display as something else ("gnp.exe" that reads "exe.png").
 */
const INVISIBLE = /\p{Cf}/u;

/** Refuses `label`s with an invisible or direction-changing character, naming it and its position (1-based). */
export const visibleText = (label: string) => (value: string, ctx: z.RefinementCtx) => {
  const chars = Array.from(value);
  const at = chars.findIndex((c) => INVISIBLE.test(c));
  if (at === -1) return;
  const code = chars[at]!.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  ctx.addIssue({ code: 'custom', message: `${label} must not contain invisible or direction-changing characters (U+${code} at position ${at + 1}).` });
};

export const emailSchema = z
  .string({ error: 'E-mail is required.' })
  .max(1000, 'E-mail must be at most 254 characters.')
  .trim()
  .toLowerCase()
  .refine(noControl, 'E-mail must not contain control characters.')
  .pipe(z.string().max(254, 'E-mail must be at most 254 characters.').pipe(z.email('Enter a valid e-mail address.')));

/** The domain of an e-mail address: what follows its last `@`. */
export const emailDomain = (email: string): string => email.slice(email.lastIndexOf('@') + 1);

export const RESERVED_WORKSPACE_NAMES = [
  'admin', 'administrator', 'api', 'app', 'auth', 'dashboard', 'docs', 'help', 'internal', 'login', 'logout',
  'mail', 'private-connect', 'privateconnect', 'root', 'settings', 'signin', 'signup', 'status', 'support',
  'system', 'trpc', 'v1', 'www',
] as const;

export const WORKSPACE_NAME_RULE = '2–50 characters: lower-case letters, digits and hyphens, starting with a letter or digit.';

export const workspaceNameSchema = z
  .string({ error: 'Workspace name is required.' })
  .max(1000, 'Workspace name must be at most 50 characters.')
  .trim()
  .min(2, 'Workspace name must be at least 2 characters.')
  .max(50, 'Workspace name must be at most 50 characters.')
  .regex(/^[a-z0-9][a-z0-9-]*$/, `Workspace name: ${WORKSPACE_NAME_RULE}`)
  .refine((n) => !(RESERVED_WORKSPACE_NAMES as readonly string[]).includes(n), 'This workspace name is reserved.');

export const keyNameSchema = z
  .string({ error: 'Name is required.' })
  .max(1000, 'Name must be at most 50 characters.')
  .trim()
  .min(1, 'Name is required.')
  .max(50, 'Name must be at most 50 characters.')
  .refine(noControl, 'Name must not contain control characters.')
  .superRefine(visibleText('Name'));

export const agentNameSchema = keyNameSchema;

export const agentLabelSchema = z
  .string()
  .max(1000, 'Label must be at most 50 characters.')
  .trim()
  .max(50, 'Label must be at most 50 characters.')
  .refine(noControl, 'Label must not contain control characters.')
  .superRefine(visibleText('Label'));

/** One allowed-range entry; the parsed value is the normalised CIDR. */
export const cidrSchema = z
  .string({ error: 'Each range must be a string.' })
  .max(100, 'Not an IPv4 or IPv6 address or CIDR range.')
  .transform((value, ctx) => {
    const parsed = parseCidr(value);
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: `"${value.slice(0, 60)}" is not an IPv4 or IPv6 address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32).` });
      return z.NEVER;
    }
    return parsed.text;
  });

export const MAX_IP_RANGES = 100;

export const allowedIpRangesSchema = z
  .array(cidrSchema, { error: 'allowedIpRanges must be an array of CIDR strings.' })
  .max(MAX_IP_RANGES, `At most ${MAX_IP_RANGES} ranges.`)
  .transform((ranges) => [...new Set(ranges)]);

/** Ids are opaque; an id that matches no row answers 404, so only the size is bounded here. */
export const idSchema = z.string().min(1).max(100);

export const isoTimestamp = z.string().describe('ISO 8601 UTC timestamp with milliseconds');
export const nullableTimestamp = isoTimestamp.nullable();

/** A calendar instant given by a client; must carry a zone (Z or ±hh:mm). */
export const isoDateTimeInput = z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time, e.g. 2026-12-31T00:00:00.000Z.' });

/** An opaque position in a list (`nextCursor`, or the `cursor` of a `Link: rel="next"` URL). */
export const pageCursorSchema = z.string().max(200, 'The cursor is malformed.');

export const successSchema = z.object({ success: z.literal(true) });

/** The OpenAPI document the server describes itself with (its shape is OpenAPI's). */
export const openApiDocument = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });
