import type { IssueDetail } from '@pc/contract';
import { isStoreUnavailable } from '@pc/db';

export type TrpcCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_SERVER_ERROR'
  | 'SERVICE_UNAVAILABLE';

/** The one table of error codes: HTTP status, tRPC code and the default message. */
export const ERROR_CODES = {
  invalid_json: { status: 400, trpc: 'BAD_REQUEST', message: 'The request body is not valid JSON.' },
  invalid_request: { status: 400, trpc: 'BAD_REQUEST', message: 'The request is invalid.' },
  invalid_token: { status: 400, trpc: 'BAD_REQUEST', message: 'This sign-in link is invalid, has expired or was already used.' },
  invalid_invitation: { status: 400, trpc: 'BAD_REQUEST', message: 'This invitation is invalid, has expired, was revoked or was already accepted.' },
  authentication_required: { status: 401, trpc: 'UNAUTHORIZED', message: 'Authentication is required.' },
  invalid_api_key: { status: 401, trpc: 'UNAUTHORIZED', message: 'The API key is invalid or has been revoked.' },
  api_key_expired: { status: 401, trpc: 'UNAUTHORIZED', message: 'The API key has expired.' },
  ip_not_allowed: { status: 403, trpc: 'FORBIDDEN', message: 'This IP address is not allowed to use this API key.' },
  session_required: { status: 403, trpc: 'FORBIDDEN', message: 'This route needs a signed-in session; API keys cannot use it.' },
  cross_site_request: { status: 403, trpc: 'FORBIDDEN', message: 'Cross-site request refused.' },
  forbidden: { status: 403, trpc: 'FORBIDDEN', message: 'Your role in this workspace does not allow this.' },
  no_workspace: { status: 403, trpc: 'FORBIDDEN', message: 'This account is no longer a member of any workspace. Ask an admin for an invitation, or sign up to create a workspace.' },
  signup_closed: { status: 403, trpc: 'FORBIDDEN', message: 'Sign-up is closed on this server. Ask its administrator for an account.' },
  email_domain_not_allowed: { status: 403, trpc: 'FORBIDDEN', message: 'Sign-up on this server is limited to other e-mail domains.' },
  not_found: { status: 404, trpc: 'NOT_FOUND', message: 'Not found.' },
  method_not_allowed: { status: 405, trpc: 'METHOD_NOT_SUPPORTED', message: 'This route does not take that method.' },
  workspace_name_taken: { status: 409, trpc: 'CONFLICT', message: 'This workspace name is already taken.' },
  api_key_name_taken: { status: 409, trpc: 'CONFLICT', message: 'An active API key with this name already exists.' },
  api_key_revoked: { status: 409, trpc: 'CONFLICT', message: 'This API key has been revoked.' },
  api_key_already_rolled: { status: 409, trpc: 'CONFLICT', message: 'This API key has already been rolled.' },
  already_member: { status: 409, trpc: 'CONFLICT', message: 'This person is already a member of the workspace.' },
  invitation_pending: { status: 409, trpc: 'CONFLICT', message: 'This address was invited at this very moment by someone else; their invitation stands.' },
  last_owner: { status: 409, trpc: 'CONFLICT', message: 'A workspace keeps at least one owner: make someone else an owner first.' },
  webhook_limit_reached: { status: 409, trpc: 'CONFLICT', message: 'This workspace has as many webhooks as it may have; delete one first.' },
  webhook_disabled: { status: 409, trpc: 'CONFLICT', message: 'This webhook is disabled; enable it first.' },
  headers_too_large: { status: 431, trpc: 'BAD_REQUEST', message: 'The request headers are too large.' },
  payload_too_large: { status: 413, trpc: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 64 KiB.' },
  unsupported_media_type: { status: 415, trpc: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be application/json.' },
  rate_limited: { status: 429, trpc: 'TOO_MANY_REQUESTS', message: 'Too many requests. Retry later.' },
  internal_error: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', message: 'Internal server error.' },
  database_unavailable: { status: 503, trpc: 'SERVICE_UNAVAILABLE', message: 'The database is not answering right now; retry shortly.' },
} as const satisfies Record<string, { status: number; trpc: TrpcCode; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export interface AppErrorExtra {
  details?: IssueDetail[];
  /** Seconds; for rate_limited. */
  retryAfter?: number;
  rateLimit?: RateLimitState;
  /** The error underneath (a store failure), for the server log; never shown. */
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: AppErrorExtra;

  constructor(code: ErrorCode, message?: string, extra: AppErrorExtra = {}) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.extra = extra;
  }

  get trpcCode(): TrpcCode {
    return ERROR_CODES[this.code].trpc;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/**
 * The contract's error for what a transport caught: an AppError as it is, a store that cannot
 * answer as 503 `database_unavailable` (retry after a second), anything else null (a 500).
 */
export function toAppError(e: unknown): AppError | null {
  if (e instanceof AppError) return e;
  if (isStoreUnavailable(e)) return new AppError('database_unavailable', undefined, { retryAfter: 1, cause: e });
  return null;
}
