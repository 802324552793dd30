import type { Agent } from '@pc/contract';
import { type AgentsTable, compileOnce } from '@pc/db';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { type Principal, actorOf } from '../shared/principal.js';
import { type Clock, type RandomSource, type RequestMeta, iso, newId } from '../shared/runtime.js';
import type { Store } from '../store/store.js';

const toAgent = (r: AgentsTable): Agent => ({
  id: r.id,
  name: r.name,
  label: r.label,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});

export function createAgentsService(deps: { store: Store; clock: Clock; random: RandomSource; audit: AuditService }) {
  const { store, clock, random, audit } = deps;
  const { db } = store;

  // Listing is what API keys exist for: compiled once, not per request.
  const listQuery = compileOnce((workspaceId: string) =>
    db.selectFrom('agents').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at', 'desc').orderBy('id', 'desc'),
  );

  async function list(workspaceId: string): Promise<Agent[]> {
    const { rows } = await db.executeQuery(listQuery(workspaceId));
    return rows.map(toAgent);
  }

  async function get(workspaceId: string, id: string): Promise<Agent> {
    const row = await db.selectFrom('agents').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'Agent not found.');
    return toAgent(row);
  }

  async function create(p: Principal, input: { name: string; label: string | null }, meta: RequestMeta): Promise<Agent> {
    const row: AgentsTable = {
      id: newId(random, 'agt'),
      workspace_id: p.workspaceId,
      name: input.name,
      label: input.label,
      created_at: iso(clock.now()),
      last_seen_at: null,
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
    });
    return toAgent(row);
  }

  async function remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    await store.transaction(async (trx) => {
      // One statement decides and deletes: of two deletions at once, one finds the row.
      const row = await trx.deleteFrom('agents').where('id', '=', id).where('workspace_id', '=', p.workspaceId).returning('name').executeTakeFirst();
      if (!row) throw new AppError('not_found', 'Agent not found.');
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'agent.deleted',
        actor: actorOf(p),
        target: { type: 'agent', id },
        meta,
        metadata: { name: row.name },
      });
    });
  }

  return { list, get, create, remove };
}

export type AgentsService = ReturnType<typeof createAgentsService>;
