import { type Agent, normalizeIp } from '@pc/contract';
import { compileOnce } from '@pc/db';
import { AppError } from '../errors.js';
import { createLastUseFlush } from '../shared/last-use.js';
import type { CoreObserver } from '../shared/observer.js';
import type { Principal } from '../shared/principal.js';
import { type RequestMeta, epochMs, iso } from '../shared/runtime.js';
import { type AgentsDeps, type Heartbeat, agentEventData, agentView } from './agents.service.js';
import { authorize } from '../teams/roles.js';

/**
 * How far past the offline threshold `agent.offline` waits: heartbeats other instances hold in
 * memory reach the store within a flush (1 s), and one of them must not be taken for silence.
 */
const OFFLINE_GRACE_MS = 2000;
/** How often the instance that holds the job looks for agents that went quiet. */
export const PRESENCE_CHECK_MS = 5000;
const BATCH = 500;

/**
 * Heartbeats and the online/offline events. A heartbeat of an agent already online is only kept
 * in memory and written by the coalesced flush (no write per heartbeat); coming online and going
 * offline are transitions, written with their event in one transaction, so `agent.online` and
 * `agent.offline` alternate for each agent however many instances see its heartbeats.
 */
export function createAgentPresence(deps: AgentsDeps & { observer: CoreObserver }) {
  const { store, clock, outbox, heartbeats, offlineAfterMs } = deps;
  const { db } = store;
  const find = compileOnce((id: string, workspaceId: string) => db.selectFrom('agents').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId));

  /** Writes the transition and its events; false when the agent is gone. */
  async function cameOnline(id: string, workspaceId: string, beat: Heartbeat): Promise<boolean> {
    return store.transaction(async (trx) => {
      const cur = await store.forUpdate(trx.selectFrom('agents').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId)).executeTakeFirst();
      if (!cur) return false;
      const storedOnline = cur.last_seen_at !== null && beat.at - Date.parse(cur.last_seen_at) < offlineAfterMs;
      if (cur.reported_online === 1 && storedOnline) return true; // another instance wrote it first
      // Silent past the threshold and back before the check noticed: the offline event still goes first.
      if (cur.reported_online === 1) await outbox.emit(trx, workspaceId, 'agent.offline', { ...agentEventData(cur), lastSeenAt: cur.last_seen_at });
      const seen = { last_seen_at: iso(new Date(beat.at)), last_seen_ip: normalizeIp(beat.ip), version: beat.version ?? cur.version };
      await trx
        .updateTable('agents')
        .set({ ...seen, reported_online: 1 })
        .where('id', '=', id)
        .execute();
      await outbox.emit(trx, workspaceId, 'agent.online', { ...agentEventData(cur), lastSeenAt: seen.last_seen_at, lastSeenIp: seen.last_seen_ip, version: seen.version });
      return true;
    });
  }

  /** `POST /v1/agents/:id/heartbeat`: the agent as it now is. */
  async function heartbeat(p: Principal, id: string, input: { version?: string | undefined }, meta: RequestMeta): Promise<Agent> {
    authorize(p, 'manageAgents');
    const nowMs = epochMs(clock);
    const row = (await db.executeQuery(find(id, p.workspaceId))).rows[0];
    if (!row) throw new AppError('not_found', 'Agent not found.');
    const beat: Heartbeat = { workspaceId: p.workspaceId, at: nowMs, ip: meta.ip, version: input.version ?? heartbeats.peek(id)?.version ?? null };
    const online = row.reported_online === 1 && agentView(deps, row, nowMs).status === 'online';
    if (!online && !(await cameOnline(id, p.workspaceId, beat))) throw new AppError('not_found', 'Agent not found.');
    heartbeats.record(id, beat);
    return agentView(deps, row, nowMs);
  }

  const flush = createLastUseFlush<Heartbeat>({
    db,
    dialect: store.dialect,
    table: 'agents',
    buffer: heartbeats,
    toRow: (b) => ({ at: iso(new Date(b.at)), ip: normalizeIp(b.ip), version: b.version }),
    observer: deps.observer,
  });

  /** The scheduled check: agents reported online whose last heartbeat is older than the threshold go offline, with their event. */
  async function reportOffline(): Promise<void> {
    await flush();
    const since = iso(new Date(epochMs(clock) - offlineAfterMs - OFFLINE_GRACE_MS));
    for (;;) {
      const gone = await store.transaction(async (trx) => {
        const rows = await trx
          .updateTable('agents')
          .set({ reported_online: 0 })
          // Repeated outside the subquery: PostgreSQL rechecks these on a row a heartbeat just changed.
          .where('reported_online', '=', 1)
          .where('last_seen_at', '<=', since)
          .where('id', 'in', (eb) => eb.selectFrom('agents').select('id').where('reported_online', '=', 1).where('last_seen_at', '<=', since).limit(BATCH))
          .returning(['id', 'workspace_id', 'name', 'label', 'last_seen_at'])
          .execute();
        for (const a of rows) await outbox.emit(trx, a.workspace_id, 'agent.offline', { ...agentEventData(a), lastSeenAt: a.last_seen_at });
        return rows.length;
      });
      if (gone < BATCH) return;
    }
  }

  return { heartbeat, flushHeartbeats: flush, reportOffline };
}

export type AgentPresence = ReturnType<typeof createAgentPresence>;
