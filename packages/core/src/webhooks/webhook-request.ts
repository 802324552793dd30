import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { iso } from '../shared/runtime.js';
import { type TargetPolicy, pinnedLookup, resolveTarget } from './webhook-targets.js';

export const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/** What an attempt needs: the event, where it goes, and the secrets that sign it. */
export interface SignedDelivery {
  id: string;
  event_id: string;
  payload: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

export interface Outcome {
  status: number | null;
  retryAfterMs: number | null;
  error: string | null;
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | null {
  if (!header) return null;
  const seconds = /^\d{1,9}$/.test(header.trim()) ? Number(header.trim()) * 1000 : new Date(header).getTime() - now.getTime();
  return Number.isFinite(seconds) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, seconds)) : null;
}

/** One signature per live secret: during a rotation's overlap a receiver with either verifies. */
function signatures(job: SignedDelivery, at: Date): string {
  const secrets = [job.secret];
  if (job.previous_secret && job.previous_secret_expires_at && job.previous_secret_expires_at > iso(at)) secrets.push(job.previous_secret);
  return secrets.map((s) => new Webhook(s).sign(job.event_id, at, job.payload)).join(' ');
}

/**
 * One attempt: the target checked after DNS, a POST signed by the Standard Webhooks scheme to the
 * checked address, at most 10 s. Resolves with the status (and Retry-After on 429 and 503); throws
 * when there is no answer (refused target, connection error, timeout, abort).
 */
export async function sendSigned(job: SignedDelivery, at: Date, ctx: { targets: TargetPolicy; inFlight: Set<AbortController>; now: () => Date }): Promise<Outcome> {
  const url = new URL(job.url);
  const addresses = await resolveTarget(url, ctx.targets);
  const controller = new AbortController();
  ctx.inFlight.add(controller);
  const timeout = setTimeout(() => controller.abort(new Error(`No answer within ${DELIVERY_TIMEOUT_MS / 1000} s.`)), DELIVERY_TIMEOUT_MS);
  const body = Buffer.from(job.payload);
  try {
    return await new Promise<Outcome>((resolve, reject) => {
      // An abort surfaces as a generic AbortError; the reason says what happened (timeout, shutdown).
      const fail = (err: Error) => reject(controller.signal.aborted ? controller.signal.reason : err);
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        // A fresh connection each time, to the address checked above; redirects are not followed.
        agent: false,
        lookup: pinnedLookup(addresses) as never,
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': 'PrivateConnect-Webhooks/1',
          'webhook-id': job.event_id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signatures(job, at),
        },
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const retryAfter = status === 429 || status === 503 ? retryAfterMs(res.headers['retry-after'], ctx.now()) : null;
        // The body is not kept: only the status decides, and a receiver's page is no business of the log.
        res.resume();
        res.on('end', () => resolve({ status, retryAfterMs: retryAfter, error: status >= 200 && status < 300 ? null : `The receiver answered ${status}.` }));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(body);
    });
  } finally {
    clearTimeout(timeout);
    ctx.inFlight.delete(controller);
  }
}

