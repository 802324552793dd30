import type { Socket } from 'node:net';
import type { ErrorBody } from '@pc/contract';
import { ERROR_CODES, REASON_PHRASES } from '@pc/core';
import { newRequestId } from './request-context.js';

/**
 * Node's HTTP parser refuses a malformed request (400) or one whose headers are too large (431)
 * before Express sees it, and by default answers with a bare status line. Where the socket still
 * takes an answer, this gives the contract's JSON error and a request id instead; nothing is logged
 * (a client chose to send it).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const code = err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'invalid_request';
  const status = ERROR_CODES[code].status;
  const requestId = newRequestId();
  const body: ErrorBody = {
    statusCode: status,
    error: REASON_PHRASES[status]!,
    code,
    message: code === 'invalid_request' ? 'The request is not valid HTTP.' : ERROR_CODES[code].message,
    requestId,
  };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
      `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${json}`,
  );
}
