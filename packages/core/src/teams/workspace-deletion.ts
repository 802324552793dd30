import type { KeyInvalidation } from '../cluster/key-invalidation.js';
import { AppError } from '../errors.js';
import type { SessionPrincipal } from '../shared/principal.js';
import type { Logger, RequestMeta } from '../shared/runtime.js';
import type { Store } from '../store/store.js';
import { authorize } from './roles.js';

/**
 * Deleting a workspace (owners): everything in it goes by the foreign keys' cascade (members,
 * sessions, keys, agents, webhooks, usage, invitations, the audit log). Its keys are announced as
 * changed in the same transaction, so no instance serves one from its cache after the commit.
 * The people stay: one with no other workspace is told so at sign-in and may sign up again.
 */
export function createWorkspaceDeletion(deps: { store: Store; invalidation: KeyInvalidation; logger: Logger }) {
  const { store, invalidation, logger } = deps;

  async function deleteWorkspace(p: SessionPrincipal, confirm: string, meta: RequestMeta): Promise<void> {
    authorize(p, 'deleteWorkspace');
    const gone = await store.transaction(async (trx) => {
      const ws = await store.forUpdate(trx.selectFrom('workspaces').select(['id', 'name']).where('id', '=', p.workspaceId)).executeTakeFirst();
      if (!ws) throw new AppError('not_found', 'Workspace not found.');
      if (confirm.trim() !== ws.name) {
        const message = `Type the workspace’s name, ${ws.name}, to confirm.`;
        throw new AppError('invalid_request', message, { details: [{ path: 'confirm', message }] });
      }
      const keys = await trx.selectFrom('api_keys').select('key_hash').where('workspace_id', '=', ws.id).execute();
      const members = await trx.selectFrom('workspace_members').select('user_id').where('workspace_id', '=', ws.id).execute();
      await trx.deleteFrom('workspaces').where('id', '=', ws.id).execute();
      if (keys.length > 0) await invalidation.keysChanged(trx, keys.map((k) => k.key_hash));
      return { ...ws, keys: keys.length, members: members.length };
    });
    // Its audit log went with it: the server's log is where the deletion stays on record.
    logger.info('workspace deleted', { workspaceId: gone.id, workspace: gone.name, byUserId: p.userId, keysDeleted: gone.keys, members: gone.members, ip: meta.ip, requestId: meta.requestId ?? '' });
  }

  return { deleteWorkspace };
}
