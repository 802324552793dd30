export * from './cidr.js';
export * from './common.js';
export * from './auth.js';
export * from './api-keys.js';
export * from './agents.js';
export * from './audit.js';
export * from './errors.js';
export * from './key-format.js';
