import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loginInput, registerInput } from '@pc/contract';
import { type Db, type DbHandle, type Notifications, createDb, createTestDb } from '@pc/db';
import { testStore } from '@pc/db/testing';
import type { KyselyPlugin, PluginTransformQueryArgs, QueryId, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { expect } from 'vitest';
import {
  type AuthLimits,
  type Clock,
  type Core,
  type CoreOptions,
  type MailMessage,
  type Mailer,
  type RandomSource,
  type RequestMeta,
  type SessionPrincipal,
  createCore,
} from '../src/index.js';

export const PUBLIC_URL = 'http://localhost:3000';
export const T0 = '2026-03-02T10:00:00.000Z';
export const MINUTE = 60_000;
export const DAY = 24 * 3600_000;

/** A clock that only moves when told to. */
export class TestClock implements Clock {
  private t: number;
  constructor(start = T0) {
    this.t = Date.parse(start);
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Reproducible bytes: SHA-256 in counter mode over a seed. */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return {
    bytes(n) {
      const out = Buffer.alloc(n);
      for (let off = 0; off < n; ) off += createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, off);
      return out;
    },
  };
}

/** The Mailer port, keeping what it is asked to send. */
export class RecordingMailer implements Mailer {
  readonly delivers = false;
  readonly sent: MailMessage[] = [];
  async send(m: MailMessage): Promise<void> {
    this.sent.push(m);
  }
  close(): void {}
  to(email: string): MailMessage[] {
    return this.sent.filter((m) => m.to === email);
  }
  /** The token of the newest message to `email`. */
  lastToken(email: string): string {
    const mine = this.to(email);
    const last = mine[mine.length - 1];
    if (!last) throw new Error(`no mail to ${email}`);
    return tokenOf(last);
  }
}

export function tokenOf(m: MailMessage): string {
  const url = new URL(m.link);
  expect(`${url.origin}${url.pathname}`).toBe(`${PUBLIC_URL}/auth/verify`);
  const token = url.searchParams.get('token');
  if (!token) throw new Error('link without token');
  return token;
}

/** The store: the vitest project (`sqlite` or `postgres`) decides. */
export const store = testStore();

/**
 * Tables of the instances' own bookkeeping on PostgreSQL (heartbeats, the key-change log, leased
 * rate-limit budgets, job claims): polled in the background on a timer, so not what a test counts.
 */
const BOOKKEEPING = /"name":"(cluster_instances|cluster_state|key_invalidations|rate_limit_windows|scheduled_jobs)"|pg_notify/;

/**
 * Watches every statement the core runs on the real database, but the bookkeeping above. Counted
 * when executed (transformResult), so queries compiled once and run many times count once per run.
 * `writes` are writes to the durable tables.
 */
export class QueryLog implements KyselyPlugin {
  private readonly kindById = new WeakMap<QueryId, string>();
  kinds: string[] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.kindById.set(args.queryId, BOOKKEEPING.test(JSON.stringify(args.node)) ? 'bookkeeping' : args.node.kind);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const kind = this.kindById.get(args.queryId) ?? (args.result.numAffectedRows === undefined ? 'unknown' : 'write');
    if (kind !== 'bookkeeping') this.kinds.push(kind);
    return args.result;
  }
  get count(): number {
    return this.kinds.length;
  }
  get writes(): number {
    return this.kinds.filter((k) => k !== 'SelectQueryNode').length;
  }
  reset(): void {
    this.kinds = [];
  }
}

export interface Harness {
  core: Core;
  /** The database as the core sees it (with the query log attached). */
  db: Db;
  handle: DbHandle;
  clock: TestClock;
  mailer: RecordingMailer;
  queries: QueryLog;
}

const RELAXED: AuthLimits = { registerPerIpPerMinute: 1000, loginPerIpPerMinute: 1000, perEmailPer15Minutes: 1000, verifyPerIpPerMinute: 1000, ipv6Prefix: 64 };

const open: Harness[] = [];

interface InstanceOptions {
  rateLimitPerMinute?: number;
  authLimits?: Partial<AuthLimits>;
  plugins?: KyselyPlugin[];
  clock?: TestClock;
  /** Wraps the real listener, to inject a fault (a lost message). */
  notifications?: (real: Notifications) => Notifications;
  /** Anything else the core takes (sign-up policy, retention, …). */
  core?: Partial<CoreOptions>;
}

/** A core on `handle`, as one server process: its own cache and counters, listening (on PostgreSQL) for key changes. */
async function instanceOn(handle: DbHandle, opts: InstanceOptions, seed: string): Promise<Harness> {
  const queries = new QueryLog();
  const db = [queries, ...(opts.plugins ?? [])].reduce<Db>((d, p) => d.withPlugin(p), handle.db);
  const clock = opts.clock ?? new TestClock();
  const mailer = new RecordingMailer();
  const notifications = handle.notifications && opts.notifications ? opts.notifications(handle.notifications) : handle.notifications;
  const core = createCore({
    store: { db, dialect: handle.dialect, notifications },
    mailer,
    publicUrl: PUBLIC_URL,
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 1000,
    authLimits: { ...RELAXED, ...opts.authLimits },
    clock,
    random: seededRandom(seed),
    ...opts.core,
  });
  const h = { core, db, handle, clock, mailer, queries };
  open.push(h);
  // On PostgreSQL: listening for key changes and in step with the change log, so keys are cached.
  await core.connect();
  return h;
}

/** A core over a fresh database of the test store. Abuse limits are relaxed unless a test asks for them. */
export async function createHarness(opts: Omit<InstanceOptions, 'clock' | 'notifications'> = {}): Promise<Harness> {
  return instanceOn(await createTestDb(), opts, `seed-${open.length}`);
}

/**
 * A second instance on the same database, as a second server process would be: its own pool,
 * listener, cache and counters. `clock` defaults to the first instance's.
 */
export async function peerOf(first: Harness, opts: Omit<InstanceOptions, 'plugins'> = {}): Promise<Harness> {
  return instanceOn(createDb(first.handle.url), { clock: first.clock, ...opts }, `peer-${open.length}`);
}

export async function closeHarnesses(): Promise<void> {
  // Newest first: a peer leaves before the first instance's close drops the database.
  for (const h of open.splice(0).reverse()) {
    await h.core.stop();
    await h.handle.close();
  }
}

let ipCounter = 0;
/** A request from its own address unless one is given, so per-IP limits stay out of the way. */
export function meta(ip?: string, userAgent: string | null = 'vitest'): RequestMeta {
  return { ip: ip ?? `198.51.100.${(ipCounter++ % 250) + 1}`, userAgent };
}

export interface SignedInUser {
  email: string;
  userId: string;
  workspaceId: string;
  sessionToken: string;
  principal: SessionPrincipal;
}

async function principalOf(h: Harness, sessionToken: string): Promise<SessionPrincipal> {
  const s = await h.core.auth.authenticateSession(sessionToken);
  if (!s) throw new Error('fresh session does not authenticate');
  return s.principal;
}

/** register → mail → verify, as a new user would. */
export async function signUp(h: Harness, email: string, workspaceName: string): Promise<SignedInUser> {
  await h.core.auth.register(registerInput.parse({ email, workspaceName }), meta());
  await h.core.queue.idle();
  const signed = await h.core.auth.verify(h.mailer.lastToken(email.trim().toLowerCase()), meta());
  expect(signed.result.isNewUser).toBe(true);
  return {
    email: signed.result.user.email,
    userId: signed.result.user.id,
    workspaceId: signed.result.workspace.id,
    sessionToken: signed.sessionToken,
    principal: await principalOf(h, signed.sessionToken),
  };
}

/** login → mail → verify: another session for an existing user. */
export async function signIn(h: Harness, email: string, m: RequestMeta = meta()): Promise<SignedInUser> {
  await h.core.auth.login(loginInput.parse({ email }), meta());
  await h.core.queue.idle();
  const signed = await h.core.auth.verify(h.mailer.lastToken(email), m);
  expect(signed.result.isNewUser).toBe(false);
  return {
    email,
    userId: signed.result.user.id,
    workspaceId: signed.result.workspace.id,
    sessionToken: signed.sessionToken,
    principal: await principalOf(h, signed.sessionToken),
  };
}

/** Rejects with an AppError of this code (and returns it for further checks). */
export async function expectAppError(p: Promise<unknown>, code: string): Promise<{ code: string; status: number; message: string; extra: Record<string, unknown> }> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${code}, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ name: 'AppError', code });
  return err as { code: string; status: number; message: string; extra: Record<string, unknown> };
}

export async function count(h: Harness, table: (typeof TABLES)[number]): Promise<number> {
  const row = await h.handle.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

const TABLES = ['users', 'workspaces', 'workspace_members', 'pending_registrations', 'magic_links', 'sessions', 'api_keys', 'agents', 'audit_logs', 'key_invalidations', 'invitations'] as const;

/**
 * What the database holds. SQLite: every byte written for it, the main file and its WAL.
 * PostgreSQL: every row of every table, as text (its files are the server's, not ours to read).
 */
export async function databaseBytes(h: Harness): Promise<string> {
  if (h.handle.path === null) {
    const dumps = await Promise.all(TABLES.map((t) => h.handle.db.selectFrom(t).selectAll().execute()));
    return JSON.stringify(dumps);
  }
  const read = (p: string) => {
    try {
      return readFileSync(p).toString('latin1');
    } catch {
      return '';
    }
  };
  return read(h.handle.path) + read(`${h.handle.path}-wal`);
}

export async function auditActions(h: Harness, workspaceId: string): Promise<string[]> {
  const rows = await h.handle.db.selectFrom('audit_logs').select('action').where('workspace_id', '=', workspaceId).orderBy('seq', 'asc').execute();
  return rows.map((r) => r.action);
}

/** The usual starting point: a fresh core and alice signed up to her workspace "acme". */
export async function aliceWorkspace(opts: Parameters<typeof createHarness>[0] = {}): Promise<{ h: Harness; alice: SignedInUser }> {
  const h = await createHarness(opts);
  return { h, alice: await signUp(h, 'alice@example.com', 'acme') };
}
