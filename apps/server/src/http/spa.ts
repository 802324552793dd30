import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { setHtmlHeaders } from './security-headers.js';

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Private Connect</title></head>
<body><div id="root"><h1>Private Connect</h1><p>The admin console is not built. The API is at <code>/v1</code>; see the README.</p></div></body></html>`;

/** The built SPA at `/` with client routes falling back to index.html; a placeholder page when it is not built. */
export function spaRoutes(webDist: string): Router {
  const r = Router();
  const indexFile = join(webDist, 'index.html');
  const built = existsSync(indexFile);
  const html = built ? readFileSync(indexFile, 'utf8') : PLACEHOLDER;
  if (built) {
    r.use(
      '/assets',
      express.static(join(webDist, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: false }),
    );
    r.use(express.static(webDist, { index: false, maxAge: '1h' }));
  }
  r.get('/{*splat}', (_req, res) => {
    setHtmlHeaders(res);
    res.type('html').send(html);
  });
  return r;
}
