import { describe, expect, it } from 'vitest';
import {
  MAX_IP_RANGES,
  allowedIpRangesSchema,
  createAgentInput,
  createApiKeyInput,
  issuesToDetails,
  keyNameSchema,
  rollApiKeyInput,
  updateIpRestrictionsInput,
} from '../src/index.js';

describe('key name', () => {
  it('is trimmed', () => {
    expect(keyNameSchema.parse('  CI deploy  ')).toBe('CI deploy');
  });

  it('accepts 1 and 50 characters, refuses 0 and 51 after trimming', () => {
    expect(keyNameSchema.parse('x')).toBe('x');
    expect(keyNameSchema.parse('y'.repeat(50))).toHaveLength(50);
    expect(keyNameSchema.parse(`  ${'y'.repeat(50)}  `)).toHaveLength(50);
    expect(keyNameSchema.safeParse('').success).toBe(false);
    expect(keyNameSchema.safeParse('    ').success).toBe(false);
    expect(keyNameSchema.safeParse('y'.repeat(51)).success).toBe(false);
  });

  it('refuses control characters', () => {
    expect(keyNameSchema.safeParse('a\u0007b').success).toBe(false);
    expect(keyNameSchema.safeParse('line\nbreak').success).toBe(false);
  });

  it('create: name required, expiresAt optional but must carry a zone', () => {
    expect(createApiKeyInput.parse({ name: ' n ' })).toEqual({ name: 'n' });
    expect(createApiKeyInput.parse({ name: 'n', expiresAt: '2030-01-01T00:00:00.000Z' }).expiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(createApiKeyInput.parse({ name: 'n', expiresAt: '2030-01-01T00:00:00+02:00' }).expiresAt).toBe('2030-01-01T00:00:00+02:00');
    expect(createApiKeyInput.safeParse({ name: 'n', expiresAt: '2030-01-01T00:00:00' }).success).toBe(false);
    expect(createApiKeyInput.safeParse({ name: 'n', expiresAt: 'tomorrow' }).success).toBe(false);
    expect(createApiKeyInput.safeParse({}).success).toBe(false);
  });
});

describe('allowedIpRanges', () => {
  it('normalises every entry and drops duplicates, keeping the first order', () => {
    expect(allowedIpRangesSchema.parse(['10.1.2.3/8', '2001:DB8::1/32', '10.0.0.0/8', '192.168.0.1', '2001:db8::/32'])).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
      '192.168.0.1/32',
    ]);
  });

  it('[] allows all and is kept as []', () => {
    expect(allowedIpRangesSchema.parse([])).toEqual([]);
  });

  it(`accepts ${MAX_IP_RANGES} entries and refuses ${MAX_IP_RANGES + 1}`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i}.0/24`);
    expect(allowedIpRangesSchema.parse(many(MAX_IP_RANGES))).toHaveLength(MAX_IP_RANGES);
    const r = allowedIpRangesSchema.safeParse(many(MAX_IP_RANGES + 1));
    expect(r.success).toBe(false);
  });

  it('names the index of a bad entry as allowedIpRanges.<i>', () => {
    const r = updateIpRestrictionsInput.safeParse({ allowedIpRanges: ['10.0.0.0/8', 'not-a-range', '::1', '10.0.0.0/33'] });
    expect(r.success).toBe(false);
    const details = issuesToDetails(r.error!.issues);
    expect(details.map((d) => d.path)).toEqual(['allowedIpRanges.1', 'allowedIpRanges.3']);
    expect(details[0]!.message).toContain('not-a-range');
  });

  it('refuses non-arrays and non-string entries', () => {
    expect(issuesToDetails(updateIpRestrictionsInput.safeParse({ allowedIpRanges: '10.0.0.0/8' }).error!.issues)[0]?.path).toBe('allowedIpRanges');
    expect(issuesToDetails(updateIpRestrictionsInput.safeParse({ allowedIpRanges: ['10.0.0.0/8', 7] }).error!.issues)[0]?.path).toBe('allowedIpRanges.1');
  });

  it('refuses zone ids', () => {
    expect(allowedIpRangesSchema.safeParse(['fe80::1%eth0']).success).toBe(false);
  });
});

describe('issuesToDetails', () => {
  it('joins nested paths with dots', () => {
    const r = createAgentInput.safeParse({ name: '', label: 'l'.repeat(51) });
    expect(issuesToDetails(r.error!.issues).map((d) => d.path).sort()).toEqual(['label', 'name']);
  });
});

describe('roll input', () => {
  it('defaults the grace period to one day and bounds it to 0–604800 whole seconds', () => {
    expect(rollApiKeyInput.parse({})).toEqual({ gracePeriodSeconds: 86_400 });
    expect(rollApiKeyInput.parse({ gracePeriodSeconds: 0 })).toEqual({ gracePeriodSeconds: 0 });
    expect(rollApiKeyInput.parse({ gracePeriodSeconds: 604_800 })).toEqual({ gracePeriodSeconds: 604_800 });
    expect(rollApiKeyInput.safeParse({ gracePeriodSeconds: 604_801 }).success).toBe(false);
    expect(rollApiKeyInput.safeParse({ gracePeriodSeconds: -1 }).success).toBe(false);
    expect(rollApiKeyInput.safeParse({ gracePeriodSeconds: 1.5 }).success).toBe(false);
  });
});

describe('agent input', () => {
  it('trims name and label; an empty label becomes null', () => {
    expect(createAgentInput.parse({ name: ' build-1 ', label: ' rack 3 ' })).toEqual({ name: 'build-1', label: 'rack 3' });
    expect(createAgentInput.parse({ name: 'a', label: '   ' })).toEqual({ name: 'a', label: null });
    expect(createAgentInput.parse({ name: 'a' })).toEqual({ name: 'a', label: null });
  });
});
