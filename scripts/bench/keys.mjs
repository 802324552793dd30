// API keys in the contract's format, made here so the bench needs nothing from the TypeScript packages.
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = 'pc_live_';

function base62(value, width) {
  let out = '';
  for (let v = value; v > 0; v = Math.floor(v / 62)) out = BASE62[v % 62] + out;
  return out.padStart(width, '0');
}

/** `pc_live_` + 26 base62 characters + the CRC32 of all that in 6 base62 characters. */
export function keyFromBody(random26) {
  const body = PREFIX + random26;
  return body + base62(crc32(body), 6);
}

/** A well-formed key that no one issued: `seed` (a few characters) keeps runs apart, `n` keeps keys apart. */
export function numberedKey(seed, n) {
  const tail = base62(n, 26 - seed.length);
  return keyFromBody(seed + tail);
}

export function randomSeed(length = 8) {
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += BASE62[b % 62];
  return s;
}

/** Keys that fail the format test in different ways: checksum, length, alphabet, prefix. */
export function malformedKeys(seed) {
  const good = numberedKey(seed, 1);
  const badSum = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
  return [badSum, good.slice(0, -2), `${good.slice(0, -7)}!${good.slice(-6)}`, `pc_test_${good.slice(8)}`, 'not-a-key'];
}

export const sha256Hex = (s) => createHash('sha256').update(s).digest('hex');
