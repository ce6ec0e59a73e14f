import { fileURLToPath } from 'node:url'
import { staleBuild } from '../scripts/build-freshness.mjs'

// The process-level tests run the built service (dist/), not the sources: after an edit they would
// test the code as it was. Refuse to start them on a stale build, and say what to run.
export default function requireFreshBuild() {
  const why: string | undefined = staleBuild(fileURLToPath(new URL('..', import.meta.url)))
  if (why !== undefined) {
    throw new Error(
      `The process-level tests (*.e2e.test.ts) run dist/, and dist/ is stale: ${why}. ` +
        'Run `npm run build` first (`npm test` builds before it tests), or `npm run test:quick` for the sources.',
    )
  }
}
