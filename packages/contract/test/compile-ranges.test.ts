import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { type ParsedCidr, compileRanges, ipInRanges, normalizeIp, parseCidr, parseClientIp } from '../src/index.js';

const octet = fc.integer({ min: 0, max: 255 });
const quad = fc.tuple(octet, octet, octet, octet).map((b) => b.join('.'));
const v4Range = fc.tuple(quad, fc.integer({ min: 0, max: 32 })).map(([a, bits]) => `${a}/${bits}`);
const v6Range = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }))
  .map(([w, bits]) => `${w.map((x) => x.toString(16)).join(':')}/${bits}`);
/** Clients as a socket or proxy may report them, well-formed or not. */
const client = fc.oneof(
  quad,
  quad.map((q) => `::ffff:${q}`),
  quad.map((q) => `::FFFF:${q}`),
  quad.map((q) => ` ${q}`),
  quad.map((q) => q.replace('.', '.0')),
  fc.constantFrom('2001:db8::1', '::1', '::ffff:a01:203', 'fe80::1%eth0', '256.1.1.1', '1.2.3', '', 'not-an-ip', '01.2.3.4'),
);

const parse = (texts: string[]): ParsedCidr[] => texts.map((t) => parseCidr(t)!);

describe('compileRanges', () => {
  it('answers exactly as ipInRanges for any client and any mix of ranges (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(v4Range, v6Range, fc.constant('::ffff:10.0.0.0/104')), { maxLength: 6 }), client, (texts, ip) => {
        const ranges = parse(texts);
        expect(compileRanges(ranges)(ip)).toBe(ipInRanges(ip, ranges));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches clients that are in a range, by integer mask', () => {
    const allows = compileRanges(parse(['10.0.0.0/8', '192.168.1.0/24', '0.0.0.0/0']));
    expect(allows('10.255.0.1')).toBe(true);
    expect(compileRanges(parse(['10.0.0.0/8', '192.168.1.0/24']))('192.168.2.1')).toBe(false);
    expect(compileRanges(parse(['10.0.0.0/8']))('::ffff:10.1.2.3')).toBe(true);
    expect(compileRanges(parse(['127.0.0.1']))('127.0.0.1')).toBe(true);
    expect(compileRanges(parse(['255.255.255.255/32']))('255.255.255.255')).toBe(true);
  });
});

describe('parseClientIp', () => {
  it('accepts exactly the dotted quads ipaddr.js accepts, with the same octets (property)', () => {
    const digits = fc.stringMatching(/^[0-9]{1,4}(\.[0-9]{1,4}){2,4}$/);
    fc.assert(
      fc.property(fc.oneof(client, digits), (text) => {
        const ours = parseClientIp(text);
        const valid = ipaddr.IPv4.isValidFourPartDecimal(text.trim());
        expect(ours?.kind() === 'ipv4').toBe(valid);
        if (valid) expect(ours!.toByteArray()).toEqual(ipaddr.IPv4.parse(text.trim()).toByteArray());
      }),
      { numRuns: 3000 },
    );
  });
});

describe('normalizeIp', () => {
  it('keeps a canonical dotted quad as it is, and still normalises everything else', () => {
    fc.assert(
      fc.property(client, (ip) => {
        const parsed = normalizeIp(ip);
        expect(normalizeIp(parsed)).toBe(parsed);
      }),
    );
    fc.assert(
      fc.property(quad, (q) => {
        expect(normalizeIp(q)).toBe(q);
      }),
    );
    expect(normalizeIp('2001:0DB8::0001')).toBe('2001:db8::1');
  });
});
