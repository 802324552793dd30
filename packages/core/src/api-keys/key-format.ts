import { API_KEY_PREFIX, API_KEY_RANDOM_LENGTH, apiKeyChecksum, apiKeyDisplayPrefix } from '@pc/contract';
import { type RandomSource, randomBase62, sha256Hex } from '../shared/runtime.js';

export interface GeneratedKey {
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(random: RandomSource): GeneratedKey {
  const body = API_KEY_PREFIX + randomBase62(random, API_KEY_RANDOM_LENGTH);
  const key = body + apiKeyChecksum(body);
  return { key, prefix: apiKeyDisplayPrefix(key), hash: sha256Hex(key) };
}
