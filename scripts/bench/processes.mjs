// One server per child process: spawn, wait for its "listening" line, watch its memory, stop it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** Extra node flags for every server, the bare one included (e.g. BENCH_NODE_FLAGS="--cpu-prof"). */
export const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** kB values of a process's VmRSS (now) and VmHWM (peak since start), or null once it is gone. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), peakKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

/**
 * Starts `node [flags] script` with `env` and resolves once it prints `listening on http://…`.
 * `startMs` is spawn → that line, as a user starting the server would see it. `cwd` matters on
 * PostgreSQL only: the outbox (SMTP_URL unset) is then written under `<cwd>/data/outbox`.
 */
export async function startServer(script, env, { timeoutMs = 30_000, cwd, stdoutFile } = {}) {
  const spawnedAt = performance.now();
  // With `stdoutFile`, stdout goes to that file (as to journald or a log file) and nothing in this
  // process reads it while the load runs: reading a server's access log line by line here would
  // take CPU from the same two cores the server and the load generator share.
  const outFd = stdoutFile ? openSync(stdoutFile, 'w') : null;
  const child = spawn(process.execPath, [...NODE_FLAGS, script], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env },
    stdio: ['ignore', outFd ?? 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  if (outFd !== null) closeSync(outFd);
  const lines = [];
  const watchers = new Set();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const accessLines = new Map();
  const onLine = (line) => {
    if (line.includes('"msg":"request"')) {
      const route = /"route":"([^"]*)"/.exec(line)?.[1] ?? '';
      accessLines.set(route, (accessLines.get(route) ?? 0) + 1);
    }
    if (lines.length < 2000) lines.push(line);
    for (const w of watchers) w(line);
  };
  for (const stream of [child.stdout, child.stderr].filter(Boolean)) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      parts.forEach(onLine);
    });
  }

  /** The first log line (past or future) that matches `re`, as its match. */
  function waitForLine(re, ms = timeoutMs) {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no log line matching ${re} within ${ms} ms:\n${lines.join('\n')}`)), ms);
      const watch = (l) => {
        const m = re.exec(l);
        if (m) done(null, m);
      };
      const done = (err, m) => {
        clearTimeout(timer);
        watchers.delete(watch);
        if (err) reject(err);
        else resolve(m);
      };
      watchers.add(watch);
      void exited.then(({ code }) => done(new Error(`server exited (${code}) before ${re}:\n${lines.join('\n')}`)));
    });
  }

  // From the file: polled until the server says it listens, then left alone.
  let polling = null;
  if (stdoutFile) {
    let seen = 0;
    polling = setInterval(() => {
      const text = readFileSync(stdoutFile, 'utf8');
      const complete = text.lastIndexOf('\n') + 1;
      text.slice(seen, complete).split('\n').filter(Boolean).forEach(onLine);
      seen = complete;
    }, 20);
  }
  const ready = await waitForLine(/listening on (http:\/\/[^\s"]+)/).finally(() => clearInterval(polling));
  const startMs = performance.now() - spawnedAt;
  // A JSON log line (`"readyMs":123`), or the key=value text of older builds (BENCH_BASELINE).
  const readyMs = Number(/readyMs(?:=|":)(\d+)/.exec(ready.input)?.[1] ?? NaN);

  return {
    url: ready[1],
    pid: child.pid,
    startMs,
    readyMs,
    lines,
    /** Access-log lines the server has written so far for `route` (with `stdoutFile`, counted in the file). */
    accessLines: (route) => (stdoutFile ? countAccessLines(readFileSync(stdoutFile, 'utf8'), route) : (accessLines.get(route) ?? 0)),
    waitForLine,
    memory: () => memoryOf(child.pid),
    /** SIGTERM (the server drains and flushes), then SIGKILL of this child only if it hangs. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

function countAccessLines(text, route) {
  const needle = `"route":"${route}"`;
  let n = 0;
  for (const line of text.split('\n')) if (line.includes('"msg":"request"') && line.includes(needle)) n++;
  return n;
}

/** CPU time (user + system) the process has used so far, in ms; /proc counts in clock ticks of 10 ms. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Samples VmRSS every `everyMs` until stopped; returns the highest value seen, in kB. */
export function sampleRss(pid, everyMs = 100) {
  let max = 0;
  const tick = () => {
    const m = memoryOf(pid);
    if (m && m.rssKb > max) max = m.rssKb;
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return () => {
    clearInterval(timer);
    tick();
    return max;
  };
}
