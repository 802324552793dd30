import { loginInput, logoutInput, registerInput, revokeSessionInput, verifyInput } from '@pc/contract';
import type { Core } from '@pc/core';
import type { Config } from '../../env.js';
import { sessionOf } from '../../http/auth.js';
import { clearSessionCookie, setSessionCookie } from '../../http/cookies.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

export const authHandlers = (core: Core, config: Config): Handlers<'register' | 'login' | 'verify' | 'me' | 'logout' | 'listSessions' | 'revokeSession'> => ({
  register: async (req, res) => {
    await core.auth.register(parse(registerInput, req.body), requestMeta(req));
    res.json({ success: true, message: 'Verification email sent' });
  },
  login: async (req, res) => {
    await core.auth.login(parse(loginInput, req.body), requestMeta(req));
    res.json({ success: true, message: 'Login link sent to your email' });
  },
  verify: async (req, res) => {
    const { token } = parse(verifyInput, { token: req.query.token });
    const signedIn = await core.auth.verify(token, requestMeta(req));
    setSessionCookie(res, signedIn.sessionToken, signedIn.maxAgeSeconds, config.secureCookies);
    res.json(signedIn.result);
  },
  me: async (_req, res) => {
    res.json(await core.auth.me(sessionOf(res)));
  },
  logout: async (req, res) => {
    const { scope } = parse(logoutInput, { scope: req.query.scope });
    await core.auth.logout(sessionOf(res), scope, requestMeta(req));
    if (scope !== 'others') clearSessionCookie(res, config.secureCookies);
    res.json({ success: true });
  },
  listSessions: async (_req, res) => {
    res.json(await core.auth.listSessions(sessionOf(res)));
  },
  revokeSession: async (req, res) => {
    await core.auth.revokeSession(sessionOf(res), parse(revokeSessionInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  },
});
