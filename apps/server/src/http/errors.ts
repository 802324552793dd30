import { type ErrorBody, issuesToDetails } from '@pc/contract';
import { AppError, type Logger, REASON_PHRASES, toAppError } from '@pc/core';
import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';

export function sendError(res: Response, err: AppError): void {
  const body: ErrorBody = { statusCode: err.status, error: REASON_PHRASES[err.status] ?? 'Error', code: err.code, message: err.message };
  if (err.extra.details) body.details = err.extra.details;
  if (err.extra.retryAfter !== undefined) {
    body.retryAfter = err.extra.retryAfter;
    res.setHeader('Retry-After', String(err.extra.retryAfter));
  }
  res.status(err.status).json(body);
}

/** Body-parser failures, zod failures and AppErrors in the contract's shape; anything else is a 500 with only the request id. */
export function errorHandler(logger: Logger, logStoreFailure: (err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number };
    const known = toAppError(err);
    if (known) {
      if (known.code === 'database_unavailable') logStoreFailure(err);
      return sendError(res, known);
    }
    if (err instanceof ZodError) {
      return sendError(res, new AppError('invalid_request', 'The request is invalid.', { details: issuesToDetails(err.issues) }));
    }
    if (e?.type === 'entity.too.large') return sendError(res, new AppError('payload_too_large'));
    if (e?.type === 'entity.parse.failed') return sendError(res, new AppError('invalid_json'));
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return sendError(res, new AppError('unsupported_media_type'));
    if (e?.status === 400 || e?.type === 'request.aborted') return sendError(res, new AppError('invalid_request'));
    // serve-static's answers for /assets: a file that is not there, a method it does not take.
    if (e?.status === 404) return sendError(res, new AppError('not_found', 'No such file.'));
    if (e?.status === 405) return sendError(res, new AppError('method_not_allowed'));
    const requestId = String(res.getHeader('X-Request-Id') ?? '');
    logger.error('unhandled error', { requestId, method: req.method, path: req.path, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    const body: ErrorBody = { statusCode: 500, error: 'Internal Server Error', code: 'internal_error', message: `Internal server error (request ${requestId}).`, requestId };
    res.status(500).json(body);
  };
}
