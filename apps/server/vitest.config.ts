import { defineConfig } from 'vitest/config';
import { storeProjects } from '@pc/db/testing/vitest-stores.mjs';

// These tests start real servers, SMTP sinks and (main-process) child processes; on a small machine
// running files in parallel, 5 s is too tight for the heaviest of them. Every file runs on SQLite
// and again on PostgreSQL.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000, projects: storeProjects() } });
