// Creates a key with a session, then lists the workspace's agents with that key. Run it with a
// TypeScript runner, e.g.:
//   PRIVATE_CONNECT_URL=http://localhost:3000 PRIVATE_CONNECT_SESSION='session=…' npx tsx src/main.ts
import { privateConnect } from './client.js';

const url = process.env.PRIVATE_CONNECT_URL ?? 'http://localhost:3000';
const session = process.env.PRIVATE_CONNECT_SESSION;
if (!session) {
  console.error('Set PRIVATE_CONNECT_SESSION to the session cookie (session=…) of a signed-in browser.');
  process.exit(1);
}
const api = privateConnect(`${url}/v1`);
const key = await api.createKey(session, `example-${Date.now()}`);
console.log(`created ${key.name} (${key.prefix}…); the full key is shown once: ${key.key}`);
const agents = await api.listAgents(key.key);
console.log(`${agents.length} agent(s):`, agents.map((a) => a.name).join(', ') || '(none)');
