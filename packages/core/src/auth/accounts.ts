import type { Db } from '@pc/db';
import { uniqueViolation } from '@pc/db';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { type RandomSource, type RequestMeta, newId } from '../shared/runtime.js';
import type { Trx } from '../store/store.js';

/** The first workspace a user joined: where a sign-in lands. */
export const firstWorkspaceOf = (db: Db | Trx, userId: string) =>
  db
    .selectFrom('workspace_members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['w.id', 'w.name'])
    .where('m.user_id', '=', userId)
    .orderBy('m.created_at', 'asc')
    .executeTakeFirst();

/** Who is told when something in a workspace needs a person: its owners' e-mails, with the workspace's name. */
export const workspaceOwners = (db: Db | Trx, workspaceId: string) =>
  db
    .selectFrom('workspace_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['u.email', 'w.name as workspaceName'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.role', '=', 'owner')
    .execute();

/**
 * A new user who owns a new workspace, audited as `auth.registered`: by the user (a verified
 * sign-up) or by `system` (the admin command). A taken workspace name, whether taken before or at
 * this very moment by another instance, is `workspace_name_taken`; an e-mail that has an account
 * throws the unique violation `users(email)`, which each caller names in its own terms.
 */
export async function createAccount(
  trx: Trx,
  deps: { random: RandomSource; audit: AuditService },
  input: { email: string; workspaceName: string; nowIso: string; registeredBy: 'self' | 'system'; meta: RequestMeta | null },
) {
  const user = { id: newId(deps.random, 'user'), email: input.email, created_at: input.nowIso };
  const workspace = { id: newId(deps.random, 'ws'), name: input.workspaceName };
  try {
    await trx.insertInto('users').values(user).execute();
    await trx.insertInto('workspaces').values({ ...workspace, created_at: input.nowIso }).execute();
  } catch (err) {
    if (uniqueViolation(err) === 'workspaces(name)') throw new AppError('workspace_name_taken');
    throw err;
  }
  await trx.insertInto('workspace_members').values({ workspace_id: workspace.id, user_id: user.id, role: 'owner', created_at: input.nowIso }).execute();
  await deps.audit.record(trx, {
    workspaceId: workspace.id,
    action: 'auth.registered',
    actor: input.registeredBy === 'self' ? { type: 'user', id: user.id } : { type: 'system', id: null },
    target: { type: 'workspace', id: workspace.id },
    meta: input.meta,
    metadata: { email: user.email, workspaceName: workspace.name },
  });
  return { user, workspace };
}
