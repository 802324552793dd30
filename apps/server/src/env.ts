import { resolve } from 'node:path';
import { z } from 'zod';

const intFrom = (name: string, def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}.` });
        return z.NEVER;
      }
      return n;
    });

/** Express's `trust proxy`: unset → false (X-Forwarded-For ignored); "true"/"false", a hop count, or addresses/subnets. */
function parseTrustProxy(v: string | undefined): boolean | number | string {
  if (v === undefined || v.trim() === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}

const schema = z.object({
  PORT: intFrom('PORT', 3000, 0, 65535),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .default('file:./data/private-connect.db')
    .refine((v) => !/^postgres(ql)?:\/\//.test(v) || URL.canParse(v), { message: 'DATABASE_URL: not a valid postgres:// URL.' }),
  DATABASE_POOL_MAX: intFrom('DATABASE_POOL_MAX', 10, 1, 1000),
  PUBLIC_URL: z.string().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('Private Connect <no-reply@localhost>'),
  TRUST_PROXY: z.string().optional(),
  RATE_LIMIT_PER_MINUTE: intFrom('RATE_LIMIT_PER_MINUTE', 1000, 1, 1_000_000_000),
  WEB_DIST: z.string().optional(),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  /** PostgreSQL: connections per instance. */
  databasePoolMax: number;
  /** Origin only, no trailing slash. */
  publicUrl: string;
  secureCookies: boolean;
  smtpUrl: string | null;
  mailFrom: string;
  trustProxy: boolean | number | string;
  rateLimitPerMinute: number;
  /** Directory holding the built SPA (index.html); absent: a placeholder page is served. */
  webDist: string;
}

/** Parses the environment once; nothing else reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv, defaultWebDist: string): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || 'env'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const rawPublic = e.PUBLIC_URL && e.PUBLIC_URL.trim() !== '' ? e.PUBLIC_URL : `http://localhost:${e.PORT}`;
  let url: URL;
  try {
    url = new URL(rawPublic);
  } catch {
    throw new Error(`Invalid configuration:\n  PUBLIC_URL: "${rawPublic}" is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('Invalid configuration:\n  PUBLIC_URL must be http(s).');
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    publicUrl: url.origin,
    secureCookies: url.protocol === 'https:',
    smtpUrl: e.SMTP_URL && e.SMTP_URL.trim() !== '' ? e.SMTP_URL : null,
    mailFrom: e.MAIL_FROM,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    webDist: resolve(e.WEB_DIST ?? defaultWebDist),
  };
}
