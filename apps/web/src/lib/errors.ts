import { TRPCClientError } from '@trpc/client';

export interface ErrorDetail {
  path: string;
  message: string;
}

/** What the server said, in the contract's words (tRPC errors carry `data.appCode`). */
export interface AppErrorInfo {
  appCode: string | null;
  message: string;
  details: ErrorDetail[];
  retryAfter: number | null;
  httpStatus: number | null;
  /** Set when the server answered with an error of its own making (5xx, or not the API's): what its log is searched by. */
  requestId: string | null;
}

interface ErrorData {
  appCode?: string;
  details?: ErrorDetail[];
  retryAfter?: number;
  httpStatus?: number;
}

/** The request got no answer: the network is down, or the server is. */
export class ServerUnreachableError extends Error {
  constructor() {
    super('Could not reach the server. Check your connection and try again.');
  }
}

/** An answer that is not the API's, such as a proxy's 502 page. */
export class ForeignAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly requestId: string | null,
  ) {
    super(`The server answered with an error (HTTP ${status}). Try again in a moment.`);
  }
}

/**
 * tRPC's own fetch reports "no answer" and "an answer that is not tRPC's" alike, as a failed parse;
 * this one tells them apart before tRPC reads the body.
 */
export const fetchTellingFailuresApart: typeof fetch = async (input, init) => {
  let res: Response;
  try {
    res = await fetch(input, init);
  } catch (e) {
    if (init?.signal?.aborted) throw e;
    throw new ServerUnreachableError();
  }
  if (!/^application\/json\b/i.test(res.headers.get('content-type') ?? '')) throw new ForeignAnswerError(res.status, res.headers.get('x-request-id'));
  return res;
};

const NO_DETAILS = { appCode: null, details: [], retryAfter: null, httpStatus: null, requestId: null };

export function errorInfo(error: unknown): AppErrorInfo {
  const cause = error instanceof TRPCClientError ? error.cause : error;
  if (cause instanceof ForeignAnswerError) return { ...NO_DETAILS, message: cause.message, httpStatus: cause.status, requestId: cause.requestId };
  if (cause instanceof ServerUnreachableError) return { ...NO_DETAILS, message: cause.message };
  if (error instanceof TRPCClientError) {
    const response = (error.meta as { response?: unknown } | undefined)?.response;
    const answered = response instanceof Response ? response : null;
    if (!error.data) {
      // JSON, but not in the API's shape (a proxy's JSON error page): an answer all the same.
      if (answered) return errorInfo(new ForeignAnswerError(answered.status, answered.headers.get('x-request-id')));
      return { ...NO_DETAILS, message: 'The server’s answer could not be read. Try again in a moment.' };
    }
    const data = error.data as ErrorData;
    const status = data.httpStatus ?? null;
    return {
      appCode: data.appCode ?? null,
      message: error.message,
      details: Array.isArray(data.details) ? data.details : [],
      retryAfter: typeof data.retryAfter === 'number' ? data.retryAfter : null,
      httpStatus: status,
      requestId: status !== null && status >= 500 ? (answered?.headers.get('x-request-id') ?? null) : null,
    };
  }
  return { ...NO_DETAILS, message: error instanceof Error ? error.message : 'Something went wrong.' };
}

export const appCodeOf = (error: unknown): string | null => errorInfo(error).appCode;

/** A sentence for a person; rate limits say when to try again. */
export function errorMessage(error: unknown): string {
  const info = errorInfo(error);
  if (info.appCode === 'rate_limited') {
    return info.retryAfter !== null ? `Too many attempts. Try again in ${formatWait(info.retryAfter)}.` : 'Too many attempts. Try again in a minute.';
  }
  return info.requestId ? `${info.message} Request id: ${info.requestId}` : info.message;
}

function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Only server-side trouble is worth retrying; a 4xx answer will not change. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  const status = errorInfo(error).httpStatus;
  if (status !== null && status < 500) return false;
  return failureCount < 2;
}
