import { AppError } from '@pc/core';
import type { Response } from 'express';

/** 405 for a method a route does not take, with `Allow` naming the ones it does (as RFC 9110 asks). */
export function methodNotAllowed(res: Response, allowed: readonly string[], message = `This route takes ${allowed.join(', ')}.`): AppError {
  res.setHeader('Allow', allowed.join(', '));
  return new AppError('method_not_allowed', message);
}
