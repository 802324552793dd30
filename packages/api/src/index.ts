export { appRouter, type AppRouter, type RouterInputs, type RouterOutputs } from './root.js';
export { createApiContext, type ApiContext, type TransportRequest } from './context.js';
