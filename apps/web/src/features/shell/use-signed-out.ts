import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { navigate } from '../../lib/router.js';

/** After a sign-out nothing of the old session may linger in the cache, or be refetched with a dead cookie. */
export function useSignedOut(): () => void {
  const queryClient = useQueryClient();
  return useCallback(() => {
    navigate('/sign-in?reason=signed-out', { replace: true });
    queryClient.clear();
  }, [queryClient]);
}
