import type { ExpressionBuilder } from 'kysely';
import { AppError } from '../errors.js';

/** A position in a list ordered newest first by (created_at, id): what a page's last row was. */
export interface Position {
  createdAt: string;
  id: string;
}

export const encodeCursor = (p: Position): string => Buffer.from(`p:${p.createdAt}|${p.id}`).toString('base64url');

export function decodeCursor(cursor: string): Position {
  const m = /^p:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([A-Za-z0-9_]{1,100})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('invalid_request', 'The cursor is malformed.', { details: [{ path: 'cursor', message: 'Malformed cursor.' }] });
  return { createdAt: m[1]!, id: m[2]! };
}

/**
 * Rows after `p` in (created_at desc, id desc) order. A cursor is a position, not an offset: rows
 * added while someone pages never make a page repeat or skip one.
 */
export function after(eb: ExpressionBuilder<any, any>, p: Position, table: string) {
  const createdAt = `${table}.created_at`;
  return eb.or([eb(createdAt, '<', p.createdAt), eb.and([eb(createdAt, '=', p.createdAt), eb(`${table}.id`, '<', p.id)])]);
}

/** `limit + 1` rows asked for → the page, and the cursor of the next one when there is more. */
export function pageOf<R extends { created_at: string; id: string }>(rows: R[], limit: number): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null };
}
