import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { navigate } from '../../lib/router.js';

/** Why the sign-in page is shown: a sign-out of one's own, or a session that ended elsewhere. */
export type SignInReason = 'signed-out' | 'session';

/** Back to sign-in: nothing of the old session may linger in the cache, or be refetched with a dead cookie. */
export function returnToSignIn(queryClient: QueryClient, reason: SignInReason): void {
  navigate(`/sign-in?reason=${reason}`, { replace: true });
  queryClient.clear();
}

/** `returnToSignIn`, for a component: after a sign-out, leaving, or a workspace deleted. */
export function useSignedOut(reason: SignInReason = 'signed-out'): () => void {
  const queryClient = useQueryClient();
  return useCallback(() => returnToSignIn(queryClient, reason), [queryClient, reason]);
}
