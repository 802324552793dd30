import { defineConfig } from 'vitest/config';

// These tests start real servers, SMTP sinks and (main-process) child processes; on a small machine
// running files in parallel, 5 s is too tight for the heaviest of them.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } });
