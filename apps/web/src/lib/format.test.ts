import { describe, expect, it } from 'vitest';
import { describeUserAgent, durationWords, expiresSoon, relativeTime } from './format.js';

const NOW = Date.parse('2026-03-02T10:00:00.000Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();

describe('format', () => {
  it('writes relative times', () => {
    expect(relativeTime(at(-10_000), NOW)).toBe('just now');
    expect(relativeTime(at(-3 * 60_000), NOW)).toBe('3 minutes ago');
    expect(relativeTime(at(2 * 86_400_000), NOW)).toBe('in 2 days');
    expect(relativeTime(at(7 * 86_400_000 - 5000), NOW)).toBe('in 7 days');
    expect(relativeTime(at(-(60 * 60_000 - 20_000)), NOW)).toBe('1 hour ago');
  });

  it('flags keys expiring within 7 days, not expired ones or later ones', () => {
    expect(expiresSoon(at(6 * 86_400_000), NOW)).toBe(true);
    expect(expiresSoon(at(8 * 86_400_000), NOW)).toBe(false);
    expect(expiresSoon(at(-1000), NOW)).toBe(false);
    expect(expiresSoon(null, NOW)).toBe(false);
  });

  it('writes durations in words', () => {
    expect(durationWords(86_400_000 - 5000)).toBe('24 hours');
    expect(durationWords(3 * 86_400_000)).toBe('3 days');
    expect(durationWords(3_600_000 - 200)).toBe('1 hour');
    expect(durationWords(59 * 60_000)).toBe('59 minutes');
    expect(durationWords(7 * 86_400_000 - 1000)).toBe('7 days');
  });

  it('names a device from its user agent', () => {
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/146.0.0.0 Safari/537.36')).toBe(
      'Chrome on Linux',
    );
    expect(describeUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1')).toBe(
      'Safari on iOS',
    );
    expect(describeUserAgent('node')).toBe('Node.js');
    expect(describeUserAgent(null)).toBe('Unknown device');
  });
});
