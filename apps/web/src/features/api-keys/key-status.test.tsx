import { render, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { apiKeyDetailFixture } from './api-key-fixtures.js';
import { Expiry, KeyStatusBadge } from './key-status.js';

const HOUR = 3_600_000;
const inHours = (h: number) => new Date(Date.now() + h * HOUR).toISOString();

function shown(over: Parameters<typeof apiKeyDetailFixture>[0]) {
  const k = apiKeyDetailFixture(over);
  const { container } = render(
    <>
      <span data-testid="badge">
        <KeyStatusBadge apiKey={k} />
      </span>
      <span data-testid="expires">
        <Expiry apiKey={k} />
      </span>
    </>,
  );
  const q = within(container);
  return { badge: q.getByTestId('badge').textContent, expires: q.getByTestId('expires').textContent, warns: q.queryByTestId('expiry-warning') !== null };
}

describe('a key’s state and expiry', () => {
  it('warns about an active key that expires within 7 days', () => {
    expect(shown({ expiresAt: inHours(25) })).toEqual({ badge: 'Expires tomorrow', expires: 'tomorrow', warns: true });
  });

  it('a rolled key ends with its grace period: its badge says so, with no expiry warning', () => {
    expect(shown({ expiresAt: inHours(1), rolledToId: 'key_new' })).toEqual({ badge: 'Rolled · ends in 1 hour', expires: 'in 1 hour', warns: false });
  });

  it('a revoked key is revoked, and no longer expires', () => {
    expect(shown({ isActive: false, revokedAt: inHours(-1), expiresAt: inHours(25) })).toEqual({ badge: 'Revoked', expires: '—', warns: false });
  });

  it('an expired key says when it expired, without a warning', () => {
    expect(shown({ isActive: false, expiresAt: inHours(-49) })).toEqual({ badge: 'Expired', expires: '2 days ago', warns: false });
  });

  it('a key far from its expiry, or without one, warns of nothing', () => {
    expect(shown({ expiresAt: inHours(24 * 20) })).toEqual({ badge: 'Active', expires: 'in 20 days', warns: false });
    expect(shown({ expiresAt: null })).toMatchObject({ expires: 'Never', warns: false });
  });
});
