import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipInRanges, normalizeCidr, parseCidr } from '../src/index.js';

const ipv4Bytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const ipv6Words = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });

const v4Text = (b: number[]) => b.join('.');
/** Full, uncompressed, randomly cased IPv6: the normaliser has to do all the work. */
const v6Text = (w: number[], upper: boolean) => {
  const t = w.map((x) => x.toString(16).padStart(4, '0')).join(':');
  return upper ? t.toUpperCase() : t;
};

/** The first `bits` bits of `units` (each `unitBits` wide), the rest taken from `other`. */
function blend(units: number[], other: number[], bits: number, unitBits: number): number[] {
  return units.map((u, i) => {
    const keep = Math.max(0, Math.min(unitBits, bits - i * unitBits));
    const hostMask = (1 << (unitBits - keep)) - 1;
    return (u & ~hostMask) | (other[i]! & hostMask);
  });
}
const zeros = (n: number) => Array<number>(n).fill(0);

describe('CIDR normalising (property)', () => {
  it('is idempotent for IPv4 ranges', () => {
    fc.assert(
      fc.property(ipv4Bytes, fc.integer({ min: 0, max: 32 }), (b, bits) => {
        const once = normalizeCidr(`${v4Text(b)}/${bits}`);
        expect(once).not.toBeNull();
        expect(normalizeCidr(once!)).toBe(once);
      }),
    );
  });

  it('is idempotent for IPv6 ranges and yields lower-case RFC 5952 text', () => {
    fc.assert(
      fc.property(ipv6Words, fc.integer({ min: 0, max: 128 }), fc.boolean(), (w, bits, upper) => {
        const once = normalizeCidr(`${v6Text(w, upper)}/${bits}`);
        expect(once).not.toBeNull();
        expect(normalizeCidr(once!)).toBe(once);
        expect(once).toBe(once!.toLowerCase());
        expect(once).not.toMatch(/(^|:)0[0-9a-f]/); // no leading zeros in a group
        expect(once!.split('::').length).toBeLessThanOrEqual(2);
      }),
    );
  });

  it('zeroes the host bits of IPv4 ranges', () => {
    fc.assert(
      fc.property(ipv4Bytes, fc.integer({ min: 0, max: 32 }), (b, bits) => {
        const expected = blend(b, zeros(4), bits, 8);
        expect(normalizeCidr(`${v4Text(b)}/${bits}`)).toBe(`${v4Text(expected)}/${bits}`);
      }),
    );
  });

  it('any IPv4 address inside a generated range matches it, and the range text is its network', () => {
    fc.assert(
      fc.property(ipv4Bytes, ipv4Bytes, fc.integer({ min: 0, max: 32 }), (net, host, bits) => {
        const range = parseCidr(`${v4Text(net)}/${bits}`)!;
        const inside = blend(net, host, bits, 8);
        expect(ipInRanges(v4Text(inside), [range])).toBe(true);
        expect(ipInRanges(`::ffff:${v4Text(inside)}`, [range])).toBe(true);
      }),
    );
  });

  it('an IPv4 address that differs in a network bit does not match', () => {
    fc.assert(
      fc.property(ipv4Bytes, fc.integer({ min: 1, max: 32 }), fc.nat(), (net, bits, pick) => {
        const range = parseCidr(`${v4Text(net)}/${bits}`)!;
        const flip = pick % bits; // a bit index inside the prefix
        const outside = [...net];
        outside[Math.floor(flip / 8)]! ^= 0x80 >> flip % 8;
        expect(ipInRanges(v4Text(outside), [range])).toBe(false);
      }),
    );
  });

  it('any IPv6 address inside a generated range matches it; flipping a network bit does not', () => {
    fc.assert(
      fc.property(ipv6Words, ipv6Words, fc.integer({ min: 1, max: 128 }), fc.nat(), (net, host, bits, pick) => {
        const range = parseCidr(`${v6Text(net, false)}/${bits}`)!;
        const inside = blend(net, host, bits, 16);
        expect(ipInRanges(v6Text(inside, true), [range])).toBe(true);
        const flip = pick % bits;
        const outside = [...net];
        outside[Math.floor(flip / 16)]! ^= 0x8000 >> flip % 16;
        expect(ipInRanges(v6Text(outside, false), [range])).toBe(false);
      }),
    );
  });
});
