import { emailDomain } from '@pc/contract';
import { type CoreObserver, silentObserver } from '../shared/observer.js';
import type { Logger } from '../shared/runtime.js';
import type { MailMessage, Mailer } from './mailer.js';

/** Waits between attempts: about 9 minutes in all, then the message is given up (and logged). */
export const DEFAULT_MAIL_BACKOFF_MS = [2_000, 10_000, 30_000, 60_000, 120_000, 300_000];

interface Waiting {
  message: MailMessage;
  requestId: string | null;
  attempt: number;
  timer: NodeJS.Timeout;
}


/** An SMTP error can quote the recipient (`550 <alice@example.com> rejected`); logs carry its domain only. */
const scrub = (text: string, address: string) => text.split(address).join(`…@${emailDomain(address)}`);

/**
 * Sends mail and keeps at it: a failed delivery (relay down, refused) is tried again after each
 * wait of `backoffMs`, then given up. Every line it logs names the request and the recipient's
 * domain, never the address or the link.
 */
export class MailDelivery {
  private readonly waiting = new Set<Waiting>();

  constructor(
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly backoffMs: number[] = DEFAULT_MAIL_BACKOFF_MS,
    private readonly observer: CoreObserver = silentObserver,
  ) {}

  /** The first attempt; resolves once it is made, whatever its outcome (a failure is retried later). */
  async send(message: MailMessage, requestId: string | null): Promise<void> {
    await this.attempt(message, requestId, 1);
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** On shutdown: one more attempt now for every message still waiting; what fails then is given up. */
  async drain(): Promise<void> {
    const all = [...this.waiting];
    this.waiting.clear();
    for (const w of all) clearTimeout(w.timer);
    await Promise.all(all.map((w) => this.attempt(w.message, w.requestId, w.attempt, true)));
  }

  private async attempt(message: MailMessage, requestId: string | null, attempt: number, last = false): Promise<void> {
    const fields = { requestId: requestId ?? '', recipientDomain: emailDomain(message.to), attempt };
    try {
      await this.mailer.send(message);
      this.observer.mail('sent');
      // The outbox (no SMTP_URL) logs its own line with the link; this one says where the message went.
      this.logger.info(this.mailer.delivers ? 'mail sent' : 'mail written to the outbox', fields);
    } catch (err) {
      const error = scrub(err instanceof Error ? err.message : String(err), message.to);
      const wait = last ? undefined : this.backoffMs[attempt - 1];
      this.observer.mail('failed');
      if (wait === undefined) {
        this.observer.mail('given_up');
        this.logger.error('mail given up', { ...fields, error });
        return;
      }
      this.logger.warn('mail delivery failed; will retry', { ...fields, retryInMs: wait, error });
      const w: Waiting = {
        message,
        requestId,
        attempt: attempt + 1,
        timer: setTimeout(() => {
          this.waiting.delete(w);
          void this.attempt(message, requestId, attempt + 1);
        }, wait),
      };
      w.timer.unref();
      this.waiting.add(w);
    }
  }
}
