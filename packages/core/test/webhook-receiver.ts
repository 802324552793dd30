import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'vitest';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP receiver on loopback. `answer` decides each response (status and headers), so a test
 * can make it fail, ask for a later retry or say it is gone.
 */
export class Receiver {
  readonly received: Received[] = [];
  answer: (n: number) => { status: number; headers?: Record<string, string> } | 'hang' = () => ({ status: 204 });
  private server: Server | null = null;
  private hung: (() => void)[] = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const a = this.answer(this.received.length);
        if (a === 'hang') {
          this.hung.push(() => res.destroy());
          return;
        }
        res.writeHead(a.status, a.headers ?? {});
        res.end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    for (const h of this.hung.splice(0)) h();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }
}

/** A fresh receiver for each test of the calling file: `r.receiver` and `r.url` are set before each. */
export function useReceiver(): { receiver: Receiver; url: string } {
  const r = { receiver: new Receiver(), url: '' };
  beforeEach(async () => {
    r.receiver = new Receiver();
    r.url = await r.receiver.start();
  });
  afterEach(() => r.receiver.stop());
  return r;
}
