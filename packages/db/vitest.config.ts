import { defineConfig } from 'vitest/config';
import { storeProjects } from './testing/vitest-stores.mjs';

// As in core: the suites run side by side on two cores in CI, so 5 s is too tight a limit.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000, projects: storeProjects() } });
