import { describe } from 'vitest'
import { openPostgresStore } from '../../src/store/index.ts'
import { createThrowawayDatabase, postgresAvailable } from '../helpers/postgres.ts'
import { runStoreContract } from './store-contract.ts'

describe.skipIf(!postgresAvailable)(
  'PostgreSQL (skipped only when no server is reachable; see the warning above)',
  () => {
    runStoreContract('PostgreSQL', async () => {
      const db = await createThrowawayDatabase()
      return { open: () => openPostgresStore(db.url), drop: db.drop }
    })
  },
)
