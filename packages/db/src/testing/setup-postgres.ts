import { inject } from 'vitest';

// Read by createTestDatabase(), and passed on to server processes that tests start.
process.env.PC_TEST_POSTGRES_URL = inject('postgresUrl');
