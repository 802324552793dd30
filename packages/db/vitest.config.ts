import { defineConfig } from 'vitest/config';
import { storeProjects } from './testing/vitest-stores.mjs';

export default defineConfig({ test: { projects: storeProjects() } });
