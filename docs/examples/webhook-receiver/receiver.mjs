// A receiver of Private Connect webhooks: verifies each delivery by the Standard Webhooks scheme,
// handles each event once, and answers 2xx quickly. Run it with the webhook's secret:
//   WEBHOOK_SECRET=whsec_… PORT=8787 node receiver.mjs
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.WEBHOOK_SECRET;
if (!secret?.startsWith('whsec_')) {
  console.error('Set WEBHOOK_SECRET to the secret shown when the webhook was created (whsec_…).');
  process.exit(1);
}
const webhook = new Webhook(secret);
// Deliveries are at least once: a retry, or a redelivery, carries the webhook-id already seen.
// A real receiver keeps these ids in its database, for as long as it keeps the events.
const handled = new Set();

function handle(event) {
  // Act on the event here: page the on-call person, rotate a secret, update an inventory…
  console.log(JSON.stringify({ received: event.type, data: event.data }));
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') return res.writeHead(405, { allow: 'POST' }).end();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    // The signature covers the exact bytes sent: verify the raw body, before any JSON parsing.
    const body = Buffer.concat(chunks).toString('utf8');
    let event;
    try {
      // Checks webhook-signature against webhook-id, webhook-timestamp and the body, and refuses a
      // timestamp more than 5 minutes off this clock: a captured delivery cannot be replayed later.
      event = webhook.verify(body, req.headers);
    } catch (err) {
      console.error(JSON.stringify({ refused: err.message }));
      return res.writeHead(400).end();
    }
    const id = req.headers['webhook-id'];
    if (!handled.has(id)) {
      handled.add(id);
      handle(event);
    }
    res.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 8787), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
