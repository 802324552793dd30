import { issuesToDetails } from '@pc/contract';
import { AppError } from '@pc/core';
import type { z } from 'zod';

/** Parses transport input with a contract schema; failures are 400 invalid_request naming each path. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues);
  const first = details[0];
  const message = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'The request is invalid.';
  throw new AppError('invalid_request', message, { details });
}
