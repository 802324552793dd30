import { randomUUID } from 'node:crypto';
import type { RequestMeta } from '@pc/core';
import type { Request, RequestHandler } from 'express';


export const requestId: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Request-Id', `req_${randomUUID().replace(/-/g, '')}`);
  next();
};

/** The client as the contract defines it: the socket address unless TRUST_PROXY says which proxies to believe. */
export function requestMeta(req: Request): RequestMeta {
  const ua = req.get('user-agent');
  return { ip: req.ip ?? req.socket.remoteAddress ?? '0.0.0.0', userAgent: ua ? ua.slice(0, 512) : null };
}
