import { defineConfig } from 'vitest/config';
import { storeProjects } from '@pc/db/testing/vitest-stores.mjs';

export default defineConfig({ test: { projects: storeProjects() } });
