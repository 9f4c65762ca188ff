/** prom-client, loaded when the first metric or registry is made (see lazy-require.ts). */
import type * as PromClient from 'prom-client';
import {lazyRequire} from '../lazy-require.js';

export const promClient = lazyRequire<typeof PromClient>('prom-client');
