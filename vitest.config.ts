import {defineConfig} from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Each test file starts its own redis-server; two cores, so keep the pool small.
    pool: 'forks',
    poolOptions: {forks: {maxForks: 2, minForks: 1}},
  },
});
