export { TEMPLATE_DATABASE, createTestDatabase, createTestDb, testStore, type TestDatabase } from './test-db.js';
