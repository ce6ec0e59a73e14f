import { defineConfig } from 'vitest/config'

// Two tiers. `quick`: every test that runs the sources in this process (apps through app.request(),
// stores, parsers, the contract), what `npm run test:quick` runs after an edit. `e2e`: the tests named
// *.e2e.test.ts, which start the built service, the CLI, Deno, a browser, code generators or databases
// of their own, and so run dist/: they refuse a build older than its sources. `npm test` runs both.
export default defineConfig({
  test: {
    // libsql is a native addon: separate processes keep each file's database handles apart.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'quick',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          globalSetup: ['test/require-fresh-build.ts', 'test/global-setup.ts'],
        },
      },
    ],
  },
})
