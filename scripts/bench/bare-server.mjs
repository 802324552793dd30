// The ceiling: Express 5 with one route answering a small JSON, nothing else. Same Node, same flags.
import express from 'express';

const app = express();
// As apps/server does: no ETag hashing, no X-Powered-By. Everything else is Express's default.
app.disable('x-powered-by');
app.set('etag', false);
app.get('/bare', (_req, res) => {
  res.json([{ id: 'agt_0000000000000000', name: 'bench' }]);
});
const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening on http://${address}:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
