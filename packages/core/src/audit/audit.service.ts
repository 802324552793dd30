import type { AuditAction, AuditLogPage } from '@pc/contract';
import { AppError } from '../errors.js';
import type { SessionPrincipal } from '../shared/principal.js';
import { authorize } from '../teams/roles.js';
import { type Clock, type Logger, type RandomSource, type RequestMeta, iso, newId } from '../shared/runtime.js';
import type { Store, Trx } from '../store/store.js';

export interface AuditEntryInput {
  workspaceId: string;
  action: AuditAction;
  actor: { type: 'user' | 'api_key' | 'system'; id: string | null };
  target?: { type: string; id: string } | null;
  meta: RequestMeta | null;
  metadata?: Record<string, unknown>;
}

const DENIAL_INTERVAL_MS = 60_000;
const MAX_DENIAL_MARKS = 100_000;

const encodeCursor = (seq: number) => Buffer.from(`a:${seq}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const m = /^a:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('invalid_request', 'The cursor is malformed.', { details: [{ path: 'cursor', message: 'Malformed cursor.' }] });
  return Number(m[1]);
}

export function createAuditService(deps: { store: Store; clock: Clock; random: RandomSource; logger: Logger }) {
  const { store, clock, random, logger } = deps;
  const lastDenial = new Map<string, number>();

  /** Records an entry in the transaction that makes the change, so both commit or neither. */
  async function record(trx: Trx, e: AuditEntryInput): Promise<void> {
    await trx
      .insertInto('audit_logs')
      .values({
        id: newId(random, 'aud'),
        workspace_id: e.workspaceId,
        action: e.action,
        actor_type: e.actor.type,
        actor_id: e.actor.id,
        target_type: e.target?.type ?? null,
        target_id: e.target?.id ?? null,
        ip: e.meta?.ip ?? null,
        user_agent: e.meta?.userAgent?.slice(0, 512) ?? null,
        metadata: JSON.stringify(e.metadata ?? {}),
        created_at: iso(clock.now()),
      })
      .execute();
  }

  /**
   * Denials are recorded at most once a minute per key and action by each instance, so a flood
   * cannot fill the disk. They are written off the request path: a refusal never waits for a write.
   */
  function recordDenial(keyId: string, e: AuditEntryInput): void {
    const now = clock.now().getTime();
    const mark = `${keyId}:${e.action}`;
    const last = lastDenial.get(mark);
    if (last !== undefined && now - last < DENIAL_INTERVAL_MS) return;
    if (lastDenial.size >= MAX_DENIAL_MARKS) {
      for (const [k, t] of lastDenial) if (now - t >= DENIAL_INTERVAL_MS) lastDenial.delete(k);
      if (lastDenial.size >= MAX_DENIAL_MARKS) lastDenial.clear();
    }
    lastDenial.set(mark, now);
    store.transaction((trx) => record(trx, e)).catch((err: unknown) => logger.error('audit: could not record a denial', { action: e.action, error: String(err) }));
  }

  /**
   * Newest first by `seq`. A cursor is a position, not a row: entries written while someone pages
   * never make a page repeat or skip an entry that was there when the first page was read.
   */
  async function list(workspaceId: string, q: { limit: number; cursor?: string | undefined; action?: AuditAction | undefined }): Promise<AuditLogPage> {
    let query = store.db.selectFrom('audit_logs').selectAll().where('workspace_id', '=', workspaceId);
    if (q.action) query = query.where('action', '=', q.action);
    if (q.cursor) query = query.where('seq', '<', decodeCursor(q.cursor));
    const rows = await query.orderBy('seq', 'desc').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        id: r.id,
        action: r.action,
        actor: { type: r.actor_type, id: r.actor_id },
        target: r.target_type && r.target_id ? { type: r.target_type, id: r.target_id } : null,
        ip: r.ip,
        userAgent: r.user_agent,
        createdAt: r.created_at,
        metadata: JSON.parse(r.metadata) as Record<string, unknown>,
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null,
    };
  }

  /** The log as a member reads it: owners and admins only. */
  async function readLog(p: SessionPrincipal, q: Parameters<typeof list>[1]): Promise<AuditLogPage> {
    authorize(p, 'readAuditLog');
    return list(p.workspaceId, q);
  }

  return { record, recordDenial, list, readLog };
}

export type AuditService = ReturnType<typeof createAuditService>;
