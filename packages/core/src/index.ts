export { createCore, type Core, type CoreOptions } from './core.js';
export { AppError, ERROR_CODES, REASON_PHRASES, isAppError, type ErrorCode, type RateLimitState, type TrpcCode } from './errors.js';
export { DEFAULT_AUTH_LIMITS, MAGIC_LINK_TTL_MS, SESSION_TTL_MS, type AuthLimits } from './auth/auth.service.js';
export { createOutboxMailer, createSmtpMailer, type MailMessage, type Mailer } from './mail/mailer.js';
export { generateApiKey } from './api-keys/key-format.js';
export { KeyCache } from './api-keys/key-cache.js';
export { FixedWindowLimiter } from './shared/rate-limiter.js';
export type { ApiKeyPrincipal, Principal, SessionPrincipal } from './shared/principal.js';
export { type Clock, type Logger, type RandomSource, type RequestMeta, constantTimeEqual, cryptoRandom, isCrossSite, sha256Hex, silentLogger, systemClock } from './shared/runtime.js';
