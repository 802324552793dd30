import { randomBytes } from 'node:crypto';
import { normalizeIp, parseClientIp } from '@pc/contract';
import type { RequestMeta } from '@pc/core';
import type { Socket } from 'node:net';
import type { Request } from 'express';

// 16 random bytes per id, as hex: drawn 512 ids at a time rather than one UUID (and a regex) per request.
const ID_BYTES = 16;
const POOL_BYTES = ID_BYTES * 512;
let pool = Buffer.alloc(0);
let offset = POOL_BYTES;

export function newRequestId(): string {
  if (offset === POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  offset += ID_BYTES;
  return `req_${pool.toString('hex', offset - ID_BYTES, offset)}`;
}

/**
 * The client as the contract defines it: the socket address unless TRUST_PROXY says which proxies to
 * believe. Express takes a forwarded value as it comes, so one that is not an IP address (a
 * misconfigured hop count, or `true` behind a proxy that passes on what clients send) is not
 * believed: the socket address stands. Either way the address is written in its normal form.
 */
export function requestMeta(req: Request): RequestMeta {
  const ua = req.headers['user-agent'];
  const requestId = req.res?.getHeader('X-Request-Id');
  return { ip: clientIp(req), userAgent: ua ? ua.slice(0, 512) : null, requestId: typeof requestId === 'string' ? requestId : null };
}

// Without TRUST_PROXY the client is the socket's peer, the same for every request of a keep-alive
// connection: written in normal form once per connection rather than parsed once per request.
const peerOf = new WeakMap<Socket, string>();

export function clientIp(req: Request): string {
  if (req.app.get('trust proxy') === false) {
    let ip = peerOf.get(req.socket);
    if (ip === undefined) {
      ip = normalizeIp(req.socket.remoteAddress ?? '0.0.0.0');
      peerOf.set(req.socket, ip);
    }
    return ip;
  }
  const claimed = req.ip;
  return normalizeIp(claimed !== undefined && parseClientIp(claimed) ? claimed : (req.socket.remoteAddress ?? '0.0.0.0'));
}
