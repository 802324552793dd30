import type { Db } from '@pc/db';
import { uniqueViolation } from '@pc/db';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { type RandomSource, type RequestMeta, newId } from '../shared/runtime.js';
import type { Trx } from '../store/store.js';

/**
 * Where a sign-in lands: the workspace the user last switched to or signed in to, while still a
 * member there, else the first one joined; undefined for a user who belongs to none.
 */
export const landingWorkspaceOf = (db: Db | Trx, userId: string) =>
  db
    .selectFrom('workspace_members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['w.id', 'w.name', 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy((eb) => eb.case().when('w.id', '=', eb.ref('u.last_workspace_id')).then(0).else(1).end())
    .orderBy('m.created_at', 'asc')
    .limit(1)
    .executeTakeFirst();

/** Whether `email` has an account on this server (whatever its workspaces). */
export const hasAccount = async (db: Db | Trx, email: string) => (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) !== undefined;

/**
 * Who this browser is signed in as, beside what a mailed link would open: the page asks before the
 * click, and warns when the link is someone else's.
 */
export async function browserAccount(db: Db, currentUserId: string | null, linkEmail: string): Promise<{ email: string; sameAccount: boolean } | null> {
  if (currentUserId === null) return null;
  const user = await db.selectFrom('users').select('email').where('id', '=', currentUserId).executeTakeFirst();
  return user ? { email: user.email, sameAccount: user.email === linkEmail } : null;
}

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
 * A new workspace owned by an existing user, audited as `auth.registered`: by the user (a verified
 * sign-up) or by `system` (the admin command). A taken workspace name, whether taken before or at
 * this very moment by another instance, is `workspace_name_taken`.
 */
export async function createWorkspaceFor(
  trx: Trx,
  deps: { random: RandomSource; audit: AuditService },
  user: { id: string; email: string },
  input: { workspaceName: string; nowIso: string; registeredBy: 'self' | 'system'; meta: RequestMeta | null },
) {
  const workspace = { id: newId(deps.random, 'ws'), name: input.workspaceName };
  try {
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
  return workspace;
}

/**
 * A new user who owns a new workspace. An e-mail that has an account throws the unique violation
 * `users(email)`, which each caller names in its own terms.
 */
export async function createAccount(
  trx: Trx,
  deps: { random: RandomSource; audit: AuditService },
  input: { email: string; workspaceName: string; nowIso: string; registeredBy: 'self' | 'system'; meta: RequestMeta | null },
) {
  const user = { id: newId(deps.random, 'user'), email: input.email, created_at: input.nowIso };
  await trx.insertInto('users').values(user).execute();
  const workspace = await createWorkspaceFor(trx, deps, user, input);
  return { user, workspace };
}
