import { type Agent, type AgentPage, DEFAULT_AGENT_PAGE, type ListAgentsQuery, normalizeIp } from '@pc/contract';
import { type AgentsTable, compileOnce } from '@pc/db';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { after, decodeCursor, pageOf } from '../shared/page-cursor.js';
import { type Principal, actorOf } from '../shared/principal.js';
import { type Clock, type RandomSource, type RequestMeta, epochMs, iso, newId } from '../shared/runtime.js';
import { type UsageBuffer, heldIfNewer } from '../shared/usage-buffer.js';
import type { Store } from '../store/store.js';
import type { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { authorize } from '../teams/roles.js';

/** A heartbeat not yet written (coalesced like key usage); reads overlay it. */
export interface Heartbeat {
  workspaceId: string;
  /** Epoch ms. */
  at: number;
  ip: string;
  version: string | null;
}

export interface AgentsDeps {
  store: Store;
  clock: Clock;
  random: RandomSource;
  audit: AuditService;
  outbox: WebhookOutbox;
  heartbeats: UsageBuffer<Heartbeat>;
  /** An agent is online while its last heartbeat is younger than this. */
  offlineAfterMs: number;
}

/** An agent as every read shows it: the stored row, with a heartbeat still in memory laid over it. */
export function agentView(deps: Pick<AgentsDeps, 'heartbeats' | 'offlineAfterMs'>, r: AgentsTable, nowMs: number): Agent {
  const pending = heldIfNewer(deps.heartbeats.peek(r.id), r.last_seen_at);
  const lastSeenAt = pending ? iso(new Date(pending.at)) : r.last_seen_at;
  return {
    id: r.id,
    name: r.name,
    label: r.label,
    createdAt: r.created_at,
    lastSeenAt,
    lastSeenIp: pending ? normalizeIp(pending.ip) : r.last_seen_ip,
    version: pending?.version ?? r.version,
    status: lastSeenAt !== null && nowMs - Date.parse(lastSeenAt) < deps.offlineAfterMs ? 'online' : 'offline',
  };
}

export const agentEventData = (a: Pick<AgentsTable, 'id' | 'name' | 'label'>) => ({ id: a.id, name: a.name, label: a.label });

/** Registering, listing and deleting agents (API key or session). Presence is in agent-presence.ts. */
export function createAgentsService(deps: AgentsDeps) {
  const { store, clock, random, audit, outbox, heartbeats } = deps;
  const { db } = store;

  // The first page is what scripts ask for all day: compiled once, not per request.
  const firstPage = compileOnce((workspaceId: string) =>
    db
      .selectFrom('agents')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(DEFAULT_AGENT_PAGE + 1),
  );

  /** Heartbeats this instance holds for the workspace: online whatever the store says yet. */
  function pendingIds(workspaceId: string): string[] {
    const ids: string[] = [];
    for (const [id, beat] of heartbeats.entries()) if (beat.workspaceId === workspaceId) ids.push(id);
    return ids;
  }

  /** Newest first, `limit` at a time; `status` is decided in the query, so pages stay full. */
  async function list(workspaceId: string, query: Partial<ListAgentsQuery> = {}): Promise<AgentPage> {
    const q = { limit: DEFAULT_AGENT_PAGE, ...query };
    const nowMs = epochMs(clock);
    let rows: AgentsTable[];
    if (q.status === undefined && q.cursor === undefined && q.limit === DEFAULT_AGENT_PAGE) {
      rows = (await db.executeQuery(firstPage(workspaceId))).rows;
    } else {
      let query = db.selectFrom('agents').selectAll().where('workspace_id', '=', workspaceId);
      if (q.cursor !== undefined) {
        const position = decodeCursor(q.cursor);
        query = query.where((eb) => after(eb, position, 'agents'));
      }
      if (q.status !== undefined) {
        const since = iso(new Date(nowMs - deps.offlineAfterMs));
        const pending = pendingIds(workspaceId);
        query =
          q.status === 'online'
            ? query.where((eb) => eb.or([eb('last_seen_at', '>', since), ...(pending.length > 0 ? [eb('id', 'in', pending)] : [])]))
            : query.where((eb) =>
                eb.and([eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<=', since)]), ...(pending.length > 0 ? [eb('id', 'not in', pending)] : [])]),
              );
      }
      rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
    }
    const page = pageOf(rows, q.limit);
    return { data: page.rows.map((r) => agentView(deps, r, nowMs)), nextCursor: page.nextCursor };
  }

  async function get(workspaceId: string, id: string): Promise<Agent> {
    const row = await db.selectFrom('agents').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'Agent not found.');
    return agentView(deps, row, epochMs(clock));
  }

  async function create(p: Principal, input: { name: string; label: string | null }, meta: RequestMeta): Promise<Agent> {
    authorize(p, 'manageAgents');
    const row: AgentsTable = {
      id: newId(random, 'agt'),
      workspace_id: p.workspaceId,
      name: input.name,
      label: input.label,
      created_at: iso(clock.now()),
      last_seen_at: null,
      last_seen_ip: null,
      version: null,
      reported_online: 0,
    };
    await store.transaction(async (trx) => {
      await trx.insertInto('agents').values(row).execute();
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'agent.created',
        actor: actorOf(p),
        target: { type: 'agent', id: row.id },
        meta,
        metadata: { name: row.name },
      });
      await outbox.emit(trx, p.workspaceId, 'agent.created', { ...agentEventData(row), createdAt: row.created_at });
    });
    return agentView(deps, row, epochMs(clock));
  }

  async function remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    authorize(p, 'manageAgents');
    await store.transaction(async (trx) => {
      // One statement decides and deletes: of two deletions at once, one finds the row.
      const row = await trx.deleteFrom('agents').where('id', '=', id).where('workspace_id', '=', p.workspaceId).returning(['id', 'name', 'label']).executeTakeFirst();
      if (!row) throw new AppError('not_found', 'Agent not found.');
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'agent.deleted',
        actor: actorOf(p),
        target: { type: 'agent', id },
        meta,
        metadata: { name: row.name },
      });
      await outbox.emit(trx, p.workspaceId, 'agent.deleted', agentEventData(row));
    });
  }

  return { list, get, create, remove };
}

export type AgentsService = ReturnType<typeof createAgentsService>;
