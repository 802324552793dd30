import { type Clock, type RandomSource, type RequestMeta, iso, newId, newToken, sha256Hex } from '../shared/runtime.js';
import type { Trx } from '../store/store.js';
import type { AuditService } from '../audit/audit.service.js';
import { SESSION_TTL_MS } from './auth-limits.js';

/**
 * A new session of `userId` in `workspaceId` (a verified link, an accepted invitation): only the
 * token's SHA-256 is stored; the workspace is remembered as where the next sign-in lands.
 */
export async function startSession(
  trx: Trx,
  deps: { clock: Clock; random: RandomSource; audit: AuditService },
  input: { userId: string; workspaceId: string; meta: RequestMeta },
): Promise<{ sessionToken: string; maxAgeSeconds: number }> {
  const now = deps.clock.now();
  const nowIso = iso(now);
  const sessionToken = newToken(deps.random);
  const sessionId = newId(deps.random, 'ses');
  await trx
    .insertInto('sessions')
    .values({
      id: sessionId,
      token_hash: sha256Hex(sessionToken),
      user_id: input.userId,
      workspace_id: input.workspaceId,
      created_at: nowIso,
      last_used_at: nowIso,
      expires_at: iso(new Date(now.getTime() + SESSION_TTL_MS)),
      ip: input.meta.ip,
      user_agent: input.meta.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
  await trx.updateTable('users').set({ last_workspace_id: input.workspaceId }).where('id', '=', input.userId).execute();
  await deps.audit.record(trx, {
    workspaceId: input.workspaceId,
    action: 'auth.signed_in',
    actor: { type: 'user', id: input.userId },
    target: { type: 'session', id: sessionId },
    meta: input.meta,
  });
  return { sessionToken, maxAgeSeconds: SESSION_TTL_MS / 1000 };
}
