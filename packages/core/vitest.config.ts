import { defineConfig } from 'vitest/config';
import { storeProjects } from '@pc/db/testing/vitest-stores.mjs';

// CI runs the packages' suites side by side on two cores, against PostgreSQL: a test that takes
// 3 s alone (600 keys created one by one) can pass 5 s there. A hung test still fails, at 30 s.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000, projects: storeProjects() } });
