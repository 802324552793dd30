/** How a key check ended: each refusal the contract names, told apart for metrics. */
export const KEY_OUTCOMES = ['ok', 'malformed', 'unknown', 'revoked', 'expired', 'ip_not_allowed', 'rate_limited'] as const;
export type KeyOutcome = (typeof KEY_OUTCOMES)[number];

/**
 * What the core tells about its own work, for metrics: outcomes, counts and durations, never an
 * id, a key, an e-mail or an address. The server counts them (prom-client); tests and the admin
 * command do not listen.
 */
export interface CoreObserver {
  keyChecked(outcome: KeyOutcome): void;
  /** A key check found its key (or its absence) in the cache, or had to read the store. */
  keyCacheLookup(hit: boolean): void;
  usageFlushed(what: 'api_keys' | 'sessions' | 'agents' | 'api_key_usage', rows: number, ms: number): void;
  mail(event: 'sent' | 'failed' | 'given_up'): void;
  signedIn(isNewUser: boolean): void;
  /** A webhook delivery attempt: answered 2xx, or not (any other status, a timeout, a refused target). */
  webhookAttempted(outcome: 'succeeded' | 'failed'): void;
}

export const silentObserver: CoreObserver = {
  keyChecked() {},
  keyCacheLookup() {},
  usageFlushed() {},
  mail() {},
  signedIn() {},
  webhookAttempted() {},
};
