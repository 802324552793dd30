import { randomUUID } from 'node:crypto';
import { normalizeIp, parseClientIp } from '@pc/contract';
import type { RequestMeta } from '@pc/core';
import type { Request, RequestHandler } from 'express';


export const requestId: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Request-Id', `req_${randomUUID().replace(/-/g, '')}`);
  next();
};

/**
 * The client as the contract defines it: the socket address unless TRUST_PROXY says which proxies to
 * believe. Express takes a forwarded value as it comes, so one that is not an IP address (a
 * misconfigured hop count, or `true` behind a proxy that passes on what clients send) is not
 * believed: the socket address stands. Either way the address is written in its normal form.
 */
export function requestMeta(req: Request): RequestMeta {
  const ua = req.get('user-agent');
  const claimed = req.ip;
  const ip = claimed !== undefined && parseClientIp(claimed) ? claimed : (req.socket.remoteAddress ?? '0.0.0.0');
  return { ip: normalizeIp(ip), userAgent: ua ? ua.slice(0, 512) : null };
}
