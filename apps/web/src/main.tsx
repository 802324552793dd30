import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { getQueryKey } from '@trpc/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { appCodeOf, shouldRetry } from './lib/errors.js';
import { ToastProvider } from './lib/toast.js';
import { createTrpcClient, trpc } from './lib/trpc.js';
import { returnToSignIn } from './features/shell/use-signed-out.js';
import './styles.css';

const PUBLIC_PATHS = ['/sign-in', '/sign-up', '/auth/verify', '/auth/invitation'];

/**
 * Any 401 for a missing or dead session, from any query or mutation, returns to sign-in. A 403 of
 * the role rules means my role changed since the page learned it: buttons follow the new one.
 */
function onError(error: unknown) {
  if (appCodeOf(error) === 'forbidden') void queryClient.invalidateQueries({ queryKey: getQueryKey(trpc.auth.session) });
  if (appCodeOf(error) !== 'authentication_required') return;
  if (PUBLIC_PATHS.includes(window.location.pathname)) return;
  returnToSignIn(queryClient, 'session');
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: { retry: shouldRetry, refetchOnWindowFocus: true, staleTime: 5_000 },
    mutations: { retry: false },
  },
});
const trpcClient = createTrpcClient();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <ToastProvider>
          <App />
        </ToastProvider>
      </QueryClientProvider>
    </trpc.Provider>
  </StrictMode>,
);
