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
}

interface ErrorData {
  appCode?: string;
  details?: ErrorDetail[];
  retryAfter?: number;
  httpStatus?: number;
}

export function errorInfo(error: unknown): AppErrorInfo {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as ErrorData;
    const isNetwork = !error.data && !error.shape;
    return {
      appCode: data.appCode ?? null,
      message: isNetwork ? 'Could not reach the server. Check your connection and try again.' : error.message,
      details: Array.isArray(data.details) ? data.details : [],
      retryAfter: typeof data.retryAfter === 'number' ? data.retryAfter : null,
      httpStatus: data.httpStatus ?? null,
    };
  }
  return { appCode: null, message: error instanceof Error ? error.message : 'Something went wrong.', details: [], retryAfter: null, httpStatus: null };
}

export const appCodeOf = (error: unknown): string | null => errorInfo(error).appCode;

/** A sentence for a person; rate limits say when to try again. */
export function errorMessage(error: unknown): string {
  const info = errorInfo(error);
  if (info.appCode === 'rate_limited') {
    return info.retryAfter !== null ? `Too many attempts. Try again in ${formatWait(info.retryAfter)}.` : 'Too many attempts. Try again in a minute.';
  }
  return info.message;
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
