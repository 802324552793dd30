import { AppError } from '@pc/core';
import express, { type RequestHandler } from 'express';

export const MAX_BODY_BYTES = 64 * 1024;

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

/** A body on POST/PUT/PATCH must be JSON (415), at most 64 KiB (413) and parse (400). No body is fine. */
export function jsonBody(): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!WRITES.has(req.method)) return next();
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) return next();
    if (!req.is('application/json')) return next(new AppError('unsupported_media_type'));
    next();
  };
  return [requireJson, express.json({ limit: MAX_BODY_BYTES, strict: false, type: 'application/json' })];
}
