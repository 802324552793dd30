import { describe, expect, it } from 'vitest';
import { ipInRanges, normalizeCidr, normalizeIp, parseCidr, type ParsedCidr } from '../src/index.js';

const ranges = (...texts: string[]): ParsedCidr[] =>
  texts.map((t) => {
    const r = parseCidr(t);
    if (!r) throw new Error(`test range ${t} did not parse`);
    return r;
  });

describe('normalizeCidr: IPv4', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.168.1.77/24', '192.168.1.0/24'],
    ['172.16.255.255/12', '172.16.0.0/12'],
    ['10.1.2.3', '10.1.2.3/32'],
    ['  10.1.2.3/32  ', '10.1.2.3/32'],
    ['203.0.113.9/0', '0.0.0.0/0'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255/31', '255.255.255.254/31'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeCidr(input)).toBe(expected);
  });

  it('reports the family and keeps the network address as the range', () => {
    const parsed = parseCidr('10.9.8.7/16');
    expect(parsed?.family).toBe('ipv4');
    expect(parsed?.range[0].toString()).toBe('10.9.0.0');
    expect(parsed?.range[1]).toBe(16);
  });
});

describe('normalizeCidr: IPv6 (RFC 5952)', () => {
  it.each([
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['2001:db8:0:1:1:1:1:1/128', '2001:db8:0:1:1:1:1:1/128'],
    ['2001:db8:abcd:12ff:ffff::1/48', '2001:db8:abcd::/48'],
    ['FE80::1/10', 'fe80::/10'],
    ['::1', '::1/128'],
    ['::', '::/128'],
    ['2001:db8::1/0', '::/0'],
    ['2001:db8:0:0:0:0:2:1/127', '2001:db8::2:0/127'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeCidr(input)).toBe(expected);
  });

  it('reports the family', () => {
    expect(parseCidr('2001:db8::/32')?.family).toBe('ipv6');
  });
});

describe('normalizeCidr: refusals', () => {
  it.each([
    ['10.0.0.0/33', 'IPv4 prefix above 32'],
    ['2001:db8::/129', 'IPv6 prefix above 128'],
    ['10.0.0.0/-1', 'negative prefix'],
    ['10.0.0.0/', 'empty prefix'],
    ['10.0.0.0/8/8', 'two prefixes'],
    ['10.0.0.0/8.0', 'fractional prefix'],
    ['10.0.0.0/ 8', 'space in prefix'],
    ['10.0.0.0/1000', 'four-digit prefix'],
    ['10.0.0.0/abc', 'non-numeric prefix'],
    ['/8', 'no address'],
    ['', 'empty'],
    ['   ', 'blank'],
    ['hello', 'garbage'],
    ['10.0.0', 'three-part IPv4'],
    ['10.0.0.256', 'octet out of range'],
    ['010.0.0.1', 'octal-looking octet'],
    ['0x0a.0.0.1', 'hex octet'],
    ['167772161', 'one-number IPv4'],
    ['2001:db8:::1', 'triple colon'],
    ['2001:db8::g', 'non-hex digit'],
    ['1:2:3:4:5:6:7:8:9', 'nine groups'],
    ['fe80::1%eth0', 'zone id'],
    ['fe80::1%eth0/64', 'zone id with prefix'],
    ['fe80::1%1', 'numeric zone id'],
    ['10.0.0.1 /32', 'space before prefix'],
    ['example.com/24', 'host name'],
    ['a'.repeat(200), 'overlong'],
  ])('%s (%s) → null', (input) => {
    expect(normalizeCidr(input)).toBeNull();
    expect(parseCidr(input)).toBeNull();
  });
});

describe('ipInRanges', () => {
  it('matches an IPv4 client inside an IPv4 range and not outside it', () => {
    const r = ranges('10.0.0.0/8', '192.168.1.0/24');
    expect(ipInRanges('10.200.1.2', r)).toBe(true);
    expect(ipInRanges('192.168.1.255', r)).toBe(true);
    expect(ipInRanges('192.168.2.1', r)).toBe(false);
    expect(ipInRanges('11.0.0.1', r)).toBe(false);
  });

  it('matches an exact /32 only for that address', () => {
    const r = ranges('203.0.113.7');
    expect(ipInRanges('203.0.113.7', r)).toBe(true);
    expect(ipInRanges('203.0.113.8', r)).toBe(false);
  });

  it('matches IPv4-mapped IPv6 clients against IPv4 ranges', () => {
    const r = ranges('10.0.0.0/8');
    expect(ipInRanges('::ffff:10.1.2.3', r)).toBe(true);
    expect(ipInRanges('::FFFF:10.1.2.3', r)).toBe(true);
    expect(ipInRanges('::ffff:a01:203', r)).toBe(true);
    expect(ipInRanges('::ffff:11.1.2.3', r)).toBe(false);
  });

  it('matches IPv6 clients against IPv6 ranges written in any form', () => {
    const r = ranges('2001:DB8:0:0::/32');
    expect(ipInRanges('2001:db8:ffff::1', r)).toBe(true);
    expect(ipInRanges('2001:0db8:0000::0001', r)).toBe(true);
    expect(ipInRanges('2001:db9::1', r)).toBe(false);
  });

  it('never matches across families (except IPv4-mapped clients)', () => {
    expect(ipInRanges('10.1.2.3', ranges('::/0'))).toBe(false);
    expect(ipInRanges('2001:db8::1', ranges('0.0.0.0/0'))).toBe(false);
  });

  it('/0 matches every client of its family, IPv4-mapped ones included', () => {
    const v4 = ranges('0.0.0.0/0');
    expect(ipInRanges('1.2.3.4', v4)).toBe(true);
    expect(ipInRanges('255.255.255.255', v4)).toBe(true);
    expect(ipInRanges('::ffff:1.2.3.4', v4)).toBe(true);
    expect(ipInRanges('2001:db8::1', ranges('::/0'))).toBe(true);
  });

  it('refuses unparsable clients and an empty list', () => {
    const r = ranges('0.0.0.0/0', '::/0');
    expect(ipInRanges('not-an-ip', r)).toBe(false);
    expect(ipInRanges('', r)).toBe(false);
    expect(ipInRanges('fe80::1%eth0', r)).toBe(false);
    expect(ipInRanges('10.0.0.1', [])).toBe(false);
  });
});

describe('normalizeIp', () => {
  it('writes addresses the way ranges are written', () => {
    expect(normalizeIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeIp(' 10.0.0.1 ')).toBe('10.0.0.1');
  });

  it('leaves what it cannot parse untouched', () => {
    expect(normalizeIp('unknown')).toBe('unknown');
  });
});
