import { MAX_INPUT_DEPTH, exceedsInputDepth } from '@pc/contract';
import { AppError } from '@pc/core';
import express, { type RequestHandler } from 'express';

export const MAX_BODY_BYTES = 64 * 1024;
/** Procedure calls in one tRPC batch request. */
export const MAX_TRPC_BATCH = 50;

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A body on POST/PUT/PATCH must be JSON (415), at most 64 KiB (413), parse (400) and nest at most
 * MAX_INPUT_DEPTH levels (400). No body is fine. One middleware, not three: a request without a body
 * (every GET on the hot path) is passed on after one test, the one body-parser itself starts with.
 */
export function jsonBody(): RequestHandler {
  const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: false, type: 'application/json' });
  return (req, res, next) => {
    if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length']))) return next();
    if (WRITES.has(req.method)) {
      const length = req.headers['content-length'];
      const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
      if (hasBody && !req.is('application/json')) return next(new AppError('unsupported_media_type'));
    }
    parseJson(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (exceedsInputDepth(req.body)) {
        return next(new AppError('invalid_request', `The request body nests more than ${MAX_INPUT_DEPTH} levels deep.`));
      }
      next();
    });
  };
}
