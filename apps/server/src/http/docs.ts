import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { AppError } from '@pc/core';
import express, { Router } from 'express';

/**
 * The API reference at /docs: Swagger UI (swagger-ui-dist), served from our own node_modules (no
 * CDN), reading /v1/openapi.json. Its page gets a CSP of its own, as strict as Swagger UI allows:
 * scripts only from here; styles from here plus inline ones, which Swagger UI sets as it renders.
 * The rest of the site keeps its stricter policy.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Private Connect API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><div id="api-reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/assets/swagger-ui-standalone-preset.js"></script><script src="/docs/init.js"></script>
</body></html>`;

// An external script, not an inline one, so the page needs no 'unsafe-inline' for scripts.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#api-reference',
  deepLinking: true,
  withCredentials: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
  // No badge from validator.swagger.io: nothing on this page leaves the server.
  validatorUrl: null,
});
`;

export function docsRoutes(): Router {
  // Resolved at run time: the server is one bundled file, swagger-ui-dist stays in node_modules.
  const assets = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const r = Router();
  r.get('/docs', (_req, res) => {
    res.locals.route = '/docs';
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(PAGE);
  });
  r.get('/docs/init.js', (_req, res) => {
    res.locals.route = '/docs/init.js';
    res.type('text/javascript').setHeader('Cache-Control', 'no-cache');
    res.send(INIT);
  });
  r.use(
    '/docs/assets',
    (_req, res, next) => {
      res.locals.route = '/docs/assets/*';
      next();
    },
    express.static(assets, { index: false, maxAge: '1d' }),
    (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next(new AppError('not_found', 'No such file.'));
    },
  );
  return r;
}
