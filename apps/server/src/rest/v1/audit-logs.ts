import { auditLogQuery } from '@pc/contract';
import type { Core } from '@pc/core';
import { sessionOf } from '../../http/auth.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

export const auditLogHandlers = (core: Core): Handlers<'listAuditLogs'> => ({
  listAuditLogs: async (req, res) => {
    res.json(await core.audit.readLog(sessionOf(res), parse(auditLogQuery, req.query)));
  },
});
