import { type Clock, type RandomSource, iso, newId, newToken, sha256Hex } from '../shared/runtime.js';
import type { Trx } from '../store/store.js';
import { MAGIC_LINK_TTL_MS } from './auth-limits.js';

/**
 * A new sign-in link for `email` (of a pending sign-up, or of an account): 32 random bytes, only
 * their SHA-256 stored, single use, 15 minutes. The link opens the SPA's verify page.
 */
export async function createMagicLink(
  trx: Trx,
  deps: { clock: Clock; random: RandomSource; publicUrl: string },
  email: string,
  pendingRegistrationId: string | null,
): Promise<{ link: string; expiresAt: string }> {
  const token = newToken(deps.random);
  const now = deps.clock.now();
  const expiresAt = iso(new Date(now.getTime() + MAGIC_LINK_TTL_MS));
  await trx
    .insertInto('magic_links')
    .values({
      id: newId(deps.random, 'ml'),
      token_hash: sha256Hex(token),
      email,
      pending_registration_id: pendingRegistrationId,
      created_at: iso(now),
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  return { link: `${deps.publicUrl}/auth/verify?token=${encodeURIComponent(token)}`, expiresAt };
}
