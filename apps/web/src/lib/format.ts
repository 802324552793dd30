const DAY = 86_400_000;
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * DAY],
  ['month', 30 * DAY],
  ['day', DAY],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const exact = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'long' });
const dateOnly = new Intl.DateTimeFormat('en', { dateStyle: 'medium' });

/** "3 minutes ago", "in 2 days", "just now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return diff <= 0 ? 'just now' : 'in a few seconds';
  for (const [unit, ms] of UNITS) {
    // 0.99: 59.9 minutes reads "in 1 hour", not "in 60 minutes".
    if (abs >= ms * 0.99 || unit === 'minute') return rtf.format(Math.round(diff / ms), unit);
  }
  return rtf.format(Math.round(diff / 60_000), 'minute');
}

/** The full local time with zone, for title attributes and detail pages. */
export function exactTime(iso: string): string {
  return exact.format(new Date(iso));
}

export function shortDate(iso: string): string {
  return dateOnly.format(new Date(iso));
}

/** A duration in words: "24 hours", "6 days", "45 minutes". */
export function durationWords(ms: number): string {
  const abs = Math.max(0, ms);
  const hours = abs / 3_600_000;
  if (hours >= 47.5) return plural(Math.round(abs / DAY), 'day');
  // 59.5 minutes and up reads as hours, so a 1-hour grace shown a moment later still says "1 hour".
  if (abs >= 59.5 * 60_000) return plural(Math.round(hours), 'hour');
  if (abs >= 60_000) return plural(Math.round(abs / 60_000), 'minute');
  return plural(Math.round(abs / 1000), 'second');
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const EXPIRY_WARNING_MS = 7 * DAY;

/** True for a key that will expire (not has expired) within 7 days. */
export function expiresSoon(expiresAt: string | null, now: number = Date.now()): boolean {
  if (expiresAt === null) return false;
  const left = new Date(expiresAt).getTime() - now;
  return left > 0 && left <= EXPIRY_WARNING_MS;
}

/** "Chrome on Linux" from a user-agent string; enough to tell one's own devices apart. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser =
    /Edg\//.test(ua) ? 'Edge'
    : /OPR\//.test(ua) ? 'Opera'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /(Chrome|Chromium|HeadlessChrome)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) && /Version\//.test(ua) ? 'Safari'
    : /curl\//i.test(ua) ? 'curl'
    : /node|undici/i.test(ua) ? 'Node.js'
    : null;
  const os =
    /iPhone|iPad|iPod/.test(ua) ? 'iOS'
    : /Android/.test(ua) ? 'Android'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /CrOS/.test(ua) ? 'ChromeOS'
    : /Linux/.test(ua) ? 'Linux'
    : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 60);
}

const clock = new Intl.DateTimeFormat('en', { timeStyle: 'medium' });
const clockShort = new Intl.DateTimeFormat('en', { timeStyle: 'short' });

/** "4:20:05 PM": a time of day today, where the date goes without saying. */
export function clockTime(iso: string, { seconds = true } = {}): string {
  return (seconds ? clock : clockShort).format(new Date(iso));
}

/** 1234 → "1,234". */
export const count = (n: number) => n.toLocaleString('en');
