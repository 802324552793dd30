import { defineConfig } from 'vitest/config';

// These tests wait on sockets (HTTP, SMTP) far more than on the CPU; one worker per spare core
// (the default) runs them almost serially on small machines.
export default defineConfig({ test: { maxWorkers: 4 } });
