// Load at a steady rate, for scenarios that must not saturate the server. autocannon's own rate
// limit is a budget per connection per second: every connection spends it at the start of each
// second, so a "1,000 req/s" run is a burst at full speed followed by silence, and its latencies
// are corrected as if each connection had been held up. Here requests leave evenly spread, one
// schedule for all connections (keep-alive sockets, at most `connections` at once).
import http from 'node:http';

/**
 * `rate` requests a second for `seconds` against `url` (origin), each with `headersFor(i)`.
 * Returns what the report needs from an autocannon result, plus every latency in ms.
 */
export function pacedLoad({ url, path, rate, seconds, connections, headersFor }) {
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencyMs = [];
  const codes = {};
  let errors = 0;
  let sent = 0;
  let done = 0;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      resolve({
        totalCompletedRequests: done,
        duration: (performance.now() - started) / 1000,
        statusCodeStats: Object.fromEntries(Object.entries(codes).map(([c, count]) => [c, { count }])),
        errors,
        latencyMs,
      });
    };
    const send = (i) => {
      const t0 = performance.now();
      const req = http.request({ agent, hostname, port, path, method: 'GET', headers: headersFor(i) }, (res) => {
        res.resume();
        res.on('end', () => {
          latencyMs.push(performance.now() - t0);
          codes[res.statusCode] = (codes[res.statusCode] ?? 0) + 1;
          if (++done + errors === total) finish();
        });
      });
      req.on('error', () => {
        if (done + ++errors === total) finish();
      });
      req.end();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}
