import { type ApiKeyListItem, emailSchema, workspaceNameSchema } from '@pc/contract';
import { uniqueViolation } from '@pc/db';
import type { ApiKeyManagement } from '../api-keys/api-key-management.service.js';
import type { ApiKeysRepository } from '../api-keys/api-keys.repository.js';
import type { AuditService } from '../audit/audit.service.js';
import { createAccount, landingWorkspaceOf } from '../auth/accounts.js';
import { createMagicLink } from '../auth/magic-links.js';
import { AppError } from '../errors.js';
import { type Clock, type RandomSource, iso } from '../shared/runtime.js';
import type { Store } from '../store/store.js';

export interface OperatorDeps {
  store: Store;
  clock: Clock;
  random: RandomSource;
  audit: AuditService;
  publicUrl: string;
  management: ApiKeyManagement;
  repo: ApiKeysRepository;
}

export interface IssuedLink {
  link: string;
  expiresAt: string;
  workspace: { id: string; name: string };
}

const SYSTEM = { type: 'system' as const, id: null };

/**
 * What the server's operator may do from its machine (the admin command), whatever the sign-up
 * policy and without mail: the way back in when mail does not work. Every change is audited with
 * the actor `system`.
 */
export function createOperatorService(deps: OperatorDeps) {
  const { store, clock, audit } = deps;
  const { db } = store;

  /** A single-use sign-in link for an existing account, by the same 15-minute rules as a mailed one. */
  async function issueSignInLink(rawEmail: string): Promise<IssuedLink> {
    const email = emailSchema.parse(rawEmail);
    const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    const workspace = user ? await landingWorkspaceOf(db, user.id) : undefined;
    if (!user || !workspace) throw new AppError('not_found', `No account has the e-mail ${email}.`);
    return store.transaction(async (trx) => {
      const issued = await createMagicLink(trx, deps, email, null);
      await audit.record(trx, {
        workspaceId: workspace.id,
        action: 'auth.sign_in_link_issued',
        actor: SYSTEM,
        target: { type: 'user', id: user.id },
        meta: null,
        metadata: { email, expiresAt: issued.expiresAt },
      });
      return { ...issued, workspace };
    });
  }

  /** A new account and workspace, and a sign-in link for it (no mail, whatever the sign-up policy). */
  async function createWorkspace(rawEmail: string, rawName: string): Promise<IssuedLink & { userId: string }> {
    const email = emailSchema.parse(rawEmail);
    const name = workspaceNameSchema.parse(rawName);
    return store.transaction(async (trx) => {
      const { user, workspace } = await createAccount(trx, deps, { email, workspaceName: name, nowIso: iso(clock.now()), registeredBy: 'system', meta: null }).catch((err: unknown) => {
        if (uniqueViolation(err) === 'users(email)') throw new AppError('invalid_request', `${email} already has an account: use sign-in-link instead.`);
        throw err;
      });
      const issued = await createMagicLink(trx, deps, email, null);
      return { ...issued, workspace, userId: user.id };
    });
  }

  async function users() {
    const rows = await db
      .selectFrom('users as u')
      .leftJoin('workspace_members as m', 'm.user_id', 'u.id')
      .leftJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .select(['u.id', 'u.email', 'u.created_at', 'w.name as workspace'])
      .orderBy('u.created_at')
      .orderBy('u.email')
      .execute();
    const byId = new Map<string, { id: string; email: string; createdAt: string; workspaces: string[] }>();
    for (const r of rows) {
      const u = byId.get(r.id) ?? { id: r.id, email: r.email, createdAt: r.created_at, workspaces: [] };
      if (r.workspace) u.workspaces.push(r.workspace);
      byId.set(r.id, u);
    }
    return [...byId.values()];
  }

  async function workspaces() {
    const [rows, activeKeys] = await Promise.all([
      db
        .selectFrom('workspaces as w')
        .select((eb) => [
          'w.id',
          'w.name',
          'w.created_at',
          eb
            .selectFrom('workspace_members as m')
            .innerJoin('users as u', 'u.id', 'm.user_id')
            .select('u.email')
            .whereRef('m.workspace_id', '=', 'w.id')
            .where('m.role', '=', 'owner')
            .orderBy('m.created_at')
            .limit(1)
            .as('owner'),
        ])
        .orderBy('w.created_at')
        .execute(),
      deps.repo.activeCounts(iso(clock.now())),
    ]);
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, owner: r.owner ?? null, activeKeys: activeKeys.get(r.id) ?? 0 }));
  }

  async function keys(workspaceName: string): Promise<{ workspace: { id: string; name: string }; keys: ApiKeyListItem[] }> {
    const workspace = await db.selectFrom('workspaces').select(['id', 'name']).where('name', '=', workspaceName).executeTakeFirst();
    if (!workspace) throw new AppError('not_found', `No workspace is named ${workspaceName}.`);
    return { workspace, keys: await deps.management.list(workspace.id, true) };
  }

  /** Revokes a key by id; on SQLite beside a running server it returns once the server refuses the key. */
  async function revokeKey(keyId: string): Promise<{ id: string; name: string; workspaceId: string; alreadyRevoked: boolean }> {
    const workspaceId = await deps.repo.workspaceOf(keyId);
    if (!workspaceId) throw new AppError('not_found', `No API key has the id ${keyId}.`);
    const before = await deps.management.get(workspaceId, keyId);
    await deps.management.revoke({ kind: 'operator', workspaceId }, keyId, null);
    return { id: keyId, name: before.name, workspaceId, alreadyRevoked: before.revokedAt !== null };
  }

  return { issueSignInLink, createWorkspace, users, workspaces, keys, revokeKey };
}

export type OperatorService = ReturnType<typeof createOperatorService>;
