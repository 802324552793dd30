import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_LENGTH,
  API_KEY_PREFIX,
  BASE62,
  apiKeyChecksum,
  apiKeyDisplayPrefix,
  crc32,
  isWellFormedApiKey,
  toBase62,
} from '../src/index.js';

const base62Char = fc.constantFrom(...BASE62.split(''));
const randomPart = fc.array(base62Char, { minLength: 26, maxLength: 26 }).map((cs) => cs.join(''));
/** A key built the way the contract describes it, independently of any generator in core. */
const wellFormedKey = randomPart.map((r) => {
  const body = API_KEY_PREFIX + r;
  return body + toBase62(zlibCrc32(body), 6);
});

describe('crc32', () => {
  it('matches zlib on known vectors', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
  });

  it('equals node:zlib crc32 on random ASCII strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 200 }), (s) => {
        expect(crc32(s)).toBe(zlibCrc32(Buffer.from(s, 'latin1')));
      }),
      { numRuns: 500 },
    );
  });

  it('is unsigned', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (s) => {
        const c = crc32(s);
        expect(c).toBeGreaterThanOrEqual(0);
        expect(c).toBeLessThanOrEqual(0xffffffff);
      }),
    );
  });
});

describe('toBase62', () => {
  it('pads with 0 and uses the 0-9A-Za-z alphabet', () => {
    expect(toBase62(0, 6)).toBe('000000');
    expect(toBase62(61, 6)).toBe('00000z');
    expect(toBase62(62, 6)).toBe('000010');
    expect(toBase62(0xffffffff, 6)).toBe('4gfFC3');
  });

  it('round-trips every 32-bit value into 6 characters (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const t = toBase62(n, 6);
        expect(t).toHaveLength(6);
        const back = [...t].reduce((acc, ch) => acc * 62 + BASE62.indexOf(ch), 0);
        expect(back).toBe(n);
      }),
    );
  });
});

describe('API key format', () => {
  it('is pc_live_ + 32 base62 characters, the last 6 being the checksum', () => {
    fc.assert(
      fc.property(wellFormedKey, (key) => {
        expect(key).toMatch(/^pc_live_[0-9A-Za-z]{32}$/);
        expect(key).toHaveLength(API_KEY_LENGTH);
        expect(apiKeyChecksum(key.slice(0, -6))).toBe(key.slice(-6));
      }),
    );
  });

  it('accepts keys built by the contract rule (property)', () => {
    fc.assert(
      fc.property(wellFormedKey, (key) => {
        expect(isWellFormedApiKey(key)).toBe(true);
      }),
    );
  });

  it('rejects every single-character change (property)', () => {
    const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(wellFormedKey, fc.nat({ max: API_KEY_LENGTH - 1 }), printable, (key, at, ch) => {
        fc.pre(key[at] !== ch);
        const changed = key.slice(0, at) + ch + key.slice(at + 1);
        expect(isWellFormedApiKey(changed)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every change of one base62 character into another, exhaustively for one key', () => {
    const [key] = fc.sample(wellFormedKey, { numRuns: 1, seed: 42 });
    for (let at = 0; at < API_KEY_LENGTH; at++) {
      for (const ch of BASE62) {
        if (key![at] === ch) continue;
        expect(isWellFormedApiKey(key!.slice(0, at) + ch + key!.slice(at + 1)), `position ${at} → ${ch}`).toBe(false);
      }
    }
  });

  it('rejects truncations and extensions (property)', () => {
    fc.assert(
      fc.property(wellFormedKey, fc.nat({ max: API_KEY_LENGTH - 1 }), base62Char, (key, len, ch) => {
        expect(isWellFormedApiKey(key.slice(0, len))).toBe(false);
        expect(isWellFormedApiKey(key + ch)).toBe(false);
        expect(isWellFormedApiKey(` ${key}`)).toBe(false);
      }),
    );
  });

  it('rejects other prefixes and shapes even with a matching checksum', () => {
    const body = `pc_test_${'a'.repeat(26)}`;
    expect(isWellFormedApiKey(body + apiKeyChecksum(body))).toBe(false);
    const dashed = `pc_live_${'a'.repeat(25)}-`;
    expect(isWellFormedApiKey(dashed + apiKeyChecksum(dashed))).toBe(false);
    expect(isWellFormedApiKey('')).toBe(false);
  });

  it('displays the first 12 characters as the prefix', () => {
    const [key] = fc.sample(wellFormedKey, 1);
    expect(apiKeyDisplayPrefix(key!)).toBe(key!.slice(0, 12));
    expect(apiKeyDisplayPrefix(key!)).toMatch(/^pc_live_[0-9A-Za-z]{4}$/);
  });
});
