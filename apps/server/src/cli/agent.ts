import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AGENT_HEARTBEAT_SECONDS, DEFAULT_AGENT_OFFLINE_AFTER_SECONDS, MAX_AGENT_PAGE, agentLabelSchema, agentNameSchema } from '@pc/contract';
import { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import type { Output } from './commands.js';
import { CliError } from './open.js';

// `private-connect agent`: the reference agent, a plain client of /v1 with an API key. It never
// touches the database, so it runs on any machine that can reach the server.

/** What it reports as `version`: @pc/server's, bundled at build so a copied dist/ still knows it. */
export const AGENT_VERSION = 'version' in pkg ? String(pkg.version) : '0.0.0';

const USAGE = 'Usage: private-connect agent --name <name> [--label <label>] [--interval <seconds>] [--verbose]';
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

// Only what the agent reads: a newer agent keeps working against a server that answers fewer fields.
const agentRef = z.object({ id: z.string(), name: z.string() });

/** An answer that is not a 2xx, or no usable answer at all (`status` 0). */
class Failure extends Error {
  constructor(
    message: string,
    readonly status = 0,
    readonly code: string | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** Codes retrying cannot fix: the key is dead, or the request itself is wrong. 403 ip_not_allowed is not one: the key's ranges or our address can change. */
const fatal = (f: Failure) => [400, 401, 413, 415].includes(f.status) || (f.status === 403 && f.code !== 'ip_not_allowed');

/** Exponential, with equal jitter: half of the step is fixed, so a retry never comes at once, and agents that failed together spread out. */
function backoffMs(failures: number, retryAfterMs: number | null): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  const backoff = step / 2 + Math.random() * (step / 2);
  // Retry-After is a floor. A key's rate-limit window ends on the minute, so every agent refused in it
  // would come back in the same instant; up to a second on top spreads them.
  return retryAfterMs === null ? backoff : Math.max(backoff, retryAfterMs + Math.random() * 1000);
}

function retryAfterOf(res: Response, body: unknown): number | null {
  const header = res.headers.get('retry-after');
  if (header && /^\d+$/.test(header.trim())) return Number(header) * 1000;
  const date = header ? Date.parse(header) : NaN;
  if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  const field = (body as { retryAfter?: unknown } | null)?.retryAfter;
  return typeof field === 'number' && field >= 0 ? field * 1000 : null;
}

function readArgs(args: string[]) {
  try {
    return parseArgs({ args, strict: true, allowPositionals: false, options: { name: { type: 'string' }, label: { type: 'string' }, interval: { type: 'string' }, verbose: { type: 'boolean' } } }).values;
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`);
  }
}

function parseOptions(args: string[], env: NodeJS.ProcessEnv) {
  const values = readArgs(args);
  if (values.name === undefined) throw new CliError(`--name is required.\n${USAGE}`);
  const name = agentNameSchema.safeParse(values.name);
  if (!name.success) throw new CliError(`--name: ${name.error.issues[0]?.message}`);
  const label = values.label === undefined ? null : agentLabelSchema.safeParse(values.label);
  if (label && !label.success) throw new CliError(`--label: ${label.error.issues[0]?.message}`);
  const interval = values.interval === undefined ? AGENT_HEARTBEAT_SECONDS : Number(values.interval);
  if (!Number.isInteger(interval) || interval < 1 || interval > 3600) throw new CliError('--interval must be a whole number of seconds from 1 to 3600.');

  const key = env.PRIVATE_CONNECT_API_KEY?.trim();
  if (!key) throw new CliError('PRIVATE_CONNECT_API_KEY is not set: create an API key in the admin (API keys → Create) and put it in the environment.');
  // No default: an agent that silently reports to localhost looks healthy to nobody.
  const raw = env.PRIVATE_CONNECT_URL?.trim();
  if (!raw) throw new CliError('PRIVATE_CONNECT_URL is not set: the address of the Private Connect server, e.g. https://connect.example.com.');
  const url = URL.canParse(raw) ? new URL(raw) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new CliError(`PRIVATE_CONNECT_URL "${raw}" is not an http(s) URL.`);
  if (url.username || url.password || url.search || url.hash) throw new CliError('PRIVATE_CONNECT_URL must be the server\'s address only, without credentials, query or fragment.');
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  if (/\/v1$/.test(base)) throw new CliError(`PRIVATE_CONNECT_URL is the server's address, without /v1 (${base.slice(0, -3)}).`);
  return { name: name.data, label: label?.data || null, intervalMs: interval * 1000, key, base, url, verbose: values.verbose === true };
}

/**
 * Registers the agent named `--name` if the workspace has none, then heartbeats until `signal`
 * aborts (SIGTERM, SIGINT), which also cancels a request in flight. Resolves when stopped; throws
 * CliError (exit 1) when the server refuses in a way retrying cannot fix (a revoked or expired key).
 */
export async function agent(args: string[], env: NodeJS.ProcessEnv, io: Output, options: { signal: AbortSignal }): Promise<void> {
  const { signal } = options;
  const opts = parseOptions(args, env);
  const log = (line: string) => io.err(`${new Date().toISOString()} agent "${opts.name}": ${line}`);

  async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ body: unknown; res: Response }> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: { 'x-api-key': opts.key, 'user-agent': `private-connect-agent/${AGENT_VERSION}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
      text = await res.text();
    } catch (err) {
      if (signal.aborted) throw err;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new Failure(`cannot reach ${opts.base} (${why})`);
    }
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: said below */
    }
    if (res.ok && parsed !== null) return { body: parsed, res };
    const err = parsed as { code?: unknown; message?: unknown } | null;
    const code = typeof err?.code === 'string' ? err.code : null;
    const what = code ? `${res.status} ${code}: ${String(err?.message ?? '').replace(/\.$/, '')}` : `${res.status} with ${res.headers.get('content-type') ?? 'no content type'}, not the API's JSON (is PRIVATE_CONNECT_URL right?)`;
    throw new Failure(`${method} ${new URL(url).pathname} answered ${what}`, res.ok ? 0 : res.status, code, retryAfterOf(res, parsed));
  }

  /** Finds the agent by exact name, through every page, or registers it. */
  async function register(): Promise<{ id: string; created: boolean }> {
    let url: string | null = `${opts.base}/v1/agents?limit=${MAX_AGENT_PAGE}`;
    const seen = new Set<string>();
    while (url && !seen.has(url)) {
      seen.add(url);
      const { body, res } = await call('GET', url);
      const page = z.array(agentRef).safeParse(body);
      if (!page.success) throw new Failure('GET /v1/agents answered something other than a list of agents');
      const found = page.data.find((a) => a.name === opts.name);
      if (found) return { id: found.id, created: false };
      // The next page's query on our own base: the server builds the link from PUBLIC_URL, which
      // may not be the address this agent reaches it by (an internal one), and the key goes only there.
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
      url = next ? `${opts.base}/v1/agents${new URL(next, url).search}` : null;
    }
    // A 409 (registered meanwhile by a twin) is retried like any failure, and the next listing finds it.
    const { body } = await call('POST', `${opts.base}/v1/agents`, { name: opts.name, ...(opts.label ? { label: opts.label } : {}) });
    const made = agentRef.safeParse(body);
    if (!made.success) throw new Failure('POST /v1/agents answered something other than an agent');
    return { id: made.data.id, created: true };
  }

  const pause = (ms: number) => sleep(ms, undefined, { signal }).catch(() => undefined);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);

  if (opts.url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(opts.url.hostname)) {
    log(`warning: ${opts.base} is plain http, so the API key crosses the network unencrypted; use https.`);
  }
  if (opts.intervalMs / 1000 >= DEFAULT_AGENT_OFFLINE_AFTER_SECONDS) {
    log(`warning: an interval of ${opts.intervalMs / 1000} s is not below the server's default offline threshold (${DEFAULT_AGENT_OFFLINE_AFTER_SECONDS} s); the agent will flap offline.`);
  }
  log(`starting (version ${AGENT_VERSION}): ${opts.base}, a heartbeat every ${opts.intervalMs / 1000} s`);

  let id: string | null = null;
  let failures = 0;
  let online = false;
  while (!signal.aborted) {
    try {
      if (id === null) {
        const registered = await register();
        id = registered.id;
        log(registered.created ? `registered as ${id}` : `found as ${id}; reusing it`);
      }
      await call('POST', `${opts.base}/v1/agents/${encodeURIComponent(id)}/heartbeat`, { version: AGENT_VERSION });
      if (!online) log(failures === 0 ? 'online' : `online again after ${failures} failed attempt${failures === 1 ? '' : 's'}`);
      else if (opts.verbose) log('heartbeat');
      online = true;
      failures = 0;
      await pause(opts.intervalMs);
    } catch (err) {
      if (signal.aborted) break;
      if (!(err instanceof Failure)) throw err;
      if (fatal(err)) {
        const hint = err.status === 401 ? ' The key was revoked, has expired or is wrong: set PRIVATE_CONNECT_API_KEY to an active key.' : '';
        throw new CliError(`${new Date().toISOString()} agent "${opts.name}": stopped: ${err.message}.${hint}`);
      }
      // Deleted while we ran (or a server without the route): register afresh, after the backoff so neither can loop hot.
      const gone = err.status === 404 && id !== null;
      if (gone) id = null;
      online = false;
      failures += 1;
      const delay = backoffMs(failures, err.retryAfterMs);
      log(`${err.message}${gone ? '; registering again' : ''}; retry ${failures} in ${seconds(delay)} s`);
      await pause(delay);
    }
  }
  log(`stopped (${String(signal.reason ?? 'signal')})`);
}
