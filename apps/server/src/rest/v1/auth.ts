import { loginInput, logoutInput, registerInput, revokeSessionInput, verifyInput } from '@pc/contract';
import type { Core } from '@pc/core';
import { Router } from 'express';
import type { Config } from '../../env.js';
import { type Guards, sessionOf } from '../../http/auth.js';
import { clearSessionCookie, setSessionCookie } from '../../http/cookies.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';

export function authRoutes(core: Core, config: Config, guards: Guards): Router {
  const r = Router();

  r.post('/register', async (req, res) => {
    await core.auth.register(parse(registerInput, req.body), requestMeta(req));
    res.json({ success: true, message: 'Verification email sent' });
  });

  r.post('/login', async (req, res) => {
    await core.auth.login(parse(loginInput, req.body), requestMeta(req));
    res.json({ success: true, message: 'Login link sent to your email' });
  });

  r.get('/verify', guards.noCrossSiteNavigation, async (req, res) => {
    const { token } = parse(verifyInput, { token: req.query.token });
    const signedIn = await core.auth.verify(token, requestMeta(req));
    setSessionCookie(res, signedIn.sessionToken, signedIn.maxAgeSeconds, config.secureCookies);
    res.json(signedIn.result);
  });

  r.get('/me', guards.requireSession, async (_req, res) => {
    res.json(await core.auth.me(sessionOf(res)));
  });

  r.post('/logout', guards.requireSession, async (req, res) => {
    const { scope } = parse(logoutInput, { scope: req.query.scope });
    await core.auth.logout(sessionOf(res), scope, requestMeta(req));
    if (scope !== 'others') clearSessionCookie(res, config.secureCookies);
    res.json({ success: true });
  });

  r.get('/sessions', guards.requireSession, async (_req, res) => {
    res.json(await core.auth.listSessions(sessionOf(res)));
  });

  r.delete('/sessions/:id', guards.requireSession, async (req, res) => {
    await core.auth.revokeSession(sessionOf(res), parse(revokeSessionInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  });

  return r;
}
