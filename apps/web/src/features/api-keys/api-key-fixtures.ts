import type { ApiKeyDetail, ApiKeyListItem } from '@pc/contract';

/** Test data in the contract's shapes. */
const T0 = '2026-03-01T12:00:00.000Z';

export const apiKeyDetailFixture = (over: Partial<ApiKeyDetail> = {}): ApiKeyDetail => ({
  id: 'key_old',
  name: 'edge-gateway',
  prefix: 'pc_live_Ab3d',
  allowedIpRanges: [],
  lastUsedAt: null,
  lastUsedIp: null,
  createdAt: T0,
  isActive: true,
  revokedAt: null,
  expiresAt: null,
  rolledToId: null,
  createdBy: null,
  ...over,
});

export const apiKeyListItemFixture = (over: Partial<ApiKeyListItem> = {}): ApiKeyListItem => ({
  id: 'key_1',
  name: 'ci-deploy',
  prefix: 'pc_live_Ab3d',
  lastUsedAt: null,
  createdAt: T0,
  isActive: true,
  expiresAt: null,
  allowedIpRangeCount: 0,
  rolledToId: null,
  ...over,
});
