import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot } from './boot.js';

// `npm start` runs this (bundled as dist/main.js).
boot({ defaultWebDist: join(dirname(fileURLToPath(import.meta.url)), '../../web/dist') });
