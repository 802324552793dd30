import { MAX_INPUT_DEPTH, exceedsInputDepth } from '@pc/contract';
import { AppError } from '@pc/core';
import express, { type RequestHandler } from 'express';

export const MAX_BODY_BYTES = 64 * 1024;
/** Procedure calls in one tRPC batch request. */
export const MAX_TRPC_BATCH = 50;

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

/** A body on POST/PUT/PATCH must be JSON (415), at most 64 KiB (413), parse (400) and nest at most MAX_INPUT_DEPTH levels (400). No body is fine. */
export function jsonBody(): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!WRITES.has(req.method)) return next();
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) return next();
    if (!req.is('application/json')) return next(new AppError('unsupported_media_type'));
    next();
  };
  const refuseDeep: RequestHandler = (req, _res, next) => {
    if (exceedsInputDepth(req.body)) {
      return next(new AppError('invalid_request', `The request body nests more than ${MAX_INPUT_DEPTH} levels deep.`));
    }
    next();
  };
  return [requireJson, express.json({ limit: MAX_BODY_BYTES, strict: false, type: 'application/json' }), refuseDeep];
}
