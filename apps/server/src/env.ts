import { resolve } from 'node:path';
import { type AuthLimits, DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_AUTH_LIMITS } from '@pc/core';
import { DEFAULT_AGENT_OFFLINE_AFTER_SECONDS, DEFAULT_USAGE_RETENTION_DAYS } from '@pc/contract';
import { isPostgresUrl } from '@pc/db';
import type { LogLevel } from './logger.js';
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

const listOf = (v: string | undefined) => (v ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** nodemailer takes an SMTP URL; anything else fails late and obscurely, so it is checked here. The value (a password) is never echoed. */
function smtpUrlOk(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'smtp:' || u.protocol === 'smtps:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const schema = z.object({
  PORT: intFrom('PORT', 3000, 0, 65535),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .default('file:./data/private-connect.db')
    .refine((v) => !isPostgresUrl(v) || URL.canParse(v), { message: 'not a valid postgres:// URL (postgres://user:pass@host:5432/db).' }),
  DATABASE_POOL_MAX: intFrom('DATABASE_POOL_MAX', 10, 1, 1000),
  PUBLIC_URL: z.string().optional(),
  SMTP_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.trim() === '' || smtpUrlOk(v.trim()), {
      message: 'SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://user:pass@mail.example.com:587 (its value is not shown here).',
    }),
  MAIL_FROM: z.string().default('Private Connect <no-reply@localhost>'),
  TRUST_PROXY: z.string().optional(),
  RATE_LIMIT_PER_MINUTE: intFrom('RATE_LIMIT_PER_MINUTE', 1000, 1, 1_000_000_000),
  WEB_DIST: z.string().optional(),
  SIGNUP: z.enum(['open', 'closed'], { error: 'SIGNUP must be open or closed.' }).default('open'),
  SIGNUP_EMAIL_DOMAINS: z
    .string()
    .optional()
    .refine((v) => listOf(v).every((d) => DOMAIN.test(d)), { message: 'SIGNUP_EMAIL_DOMAINS must be a comma-separated list of domains, e.g. example.com,example.org.' }),
  LIMIT_REGISTER_PER_IP_PER_MINUTE: intFrom('LIMIT_REGISTER_PER_IP_PER_MINUTE', DEFAULT_AUTH_LIMITS.registerPerIpPerMinute, 1, 1_000_000),
  LIMIT_LOGIN_PER_IP_PER_MINUTE: intFrom('LIMIT_LOGIN_PER_IP_PER_MINUTE', DEFAULT_AUTH_LIMITS.loginPerIpPerMinute, 1, 1_000_000),
  LIMIT_MAILS_PER_EMAIL_PER_15_MINUTES: intFrom('LIMIT_MAILS_PER_EMAIL_PER_15_MINUTES', DEFAULT_AUTH_LIMITS.perEmailPer15Minutes, 1, 1_000_000),
  ABUSE_IPV6_PREFIX: intFrom('ABUSE_IPV6_PREFIX', DEFAULT_AUTH_LIMITS.ipv6Prefix, 1, 128),
  LIMIT_VERIFY_PER_IP_PER_MINUTE: intFrom('LIMIT_VERIFY_PER_IP_PER_MINUTE', DEFAULT_AUTH_LIMITS.verifyPerIpPerMinute, 1, 1_000_000),
  AUDIT_RETENTION_DAYS: intFrom('AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_RETENTION_DAYS, 1, 36_500),
  USAGE_HISTORY: z.enum(['on', 'off'], { error: 'USAGE_HISTORY must be on or off.' }).default('on'),
  USAGE_RETENTION_DAYS: intFrom('USAGE_RETENTION_DAYS', DEFAULT_USAGE_RETENTION_DAYS, 1, 3650),
  AGENT_OFFLINE_AFTER_SECONDS: intFrom('AGENT_OFFLINE_AFTER_SECONDS', DEFAULT_AGENT_OFFLINE_AFTER_SECONDS, 1, 86_400),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false'], { error: 'WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false.' }).default('false'),
  SHUTDOWN_TIMEOUT_MS: intFrom('SHUTDOWN_TIMEOUT_MS', 10_000, 1000, 600_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { error: 'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent.' }).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'LOG_FORMAT must be json or pretty.' }).default('json'),
  ACCESS_LOG: z.enum(['on', 'off'], { error: 'ACCESS_LOG must be on or off.' }).default('on'),
  METRICS_TOKEN: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || v.length >= 16, { message: 'METRICS_TOKEN must be at least 16 characters (it guards /metrics).' }),
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
  signup: { open: boolean; emailDomains: string[] };
  authLimits: AuthLimits;
  auditRetentionDays: number;
  /** Requests are counted per key and hour (USAGE_HISTORY). */
  usageHistory: boolean;
  /** Hourly usage per key is kept this long. */
  usageRetentionDays: number;
  /** An agent is online while its last heartbeat is younger than this. */
  agentOfflineAfterSeconds: number;
  /** Webhooks may go to loopback and private addresses, and over plain http (tests, trusted internal setups). */
  webhookAllowPrivateTargets: boolean;
  shutdownTimeoutMs: number;
  log: { level: LogLevel; format: 'json' | 'pretty'; access: boolean };
  /** Bearer token for GET /metrics; null: /metrics is off (404). */
  metricsToken: string | null;
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
    smtpUrl: e.SMTP_URL && e.SMTP_URL.trim() !== '' ? e.SMTP_URL.trim() : null,
    mailFrom: e.MAIL_FROM,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    webDist: resolve(e.WEB_DIST ?? defaultWebDist),
    signup: { open: e.SIGNUP === 'open', emailDomains: listOf(e.SIGNUP_EMAIL_DOMAINS) },
    authLimits: {
      registerPerIpPerMinute: e.LIMIT_REGISTER_PER_IP_PER_MINUTE,
      loginPerIpPerMinute: e.LIMIT_LOGIN_PER_IP_PER_MINUTE,
      perEmailPer15Minutes: e.LIMIT_MAILS_PER_EMAIL_PER_15_MINUTES,
      verifyPerIpPerMinute: e.LIMIT_VERIFY_PER_IP_PER_MINUTE,
      ipv6Prefix: e.ABUSE_IPV6_PREFIX,
    },
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    usageHistory: e.USAGE_HISTORY === 'on',
    usageRetentionDays: e.USAGE_RETENTION_DAYS,
    agentOfflineAfterSeconds: e.AGENT_OFFLINE_AFTER_SECONDS,
    webhookAllowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true',
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT, access: e.ACCESS_LOG === 'on' },
    metricsToken: e.METRICS_TOKEN && e.METRICS_TOKEN !== '' ? e.METRICS_TOKEN : null,
  };
}
