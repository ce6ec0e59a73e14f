import { execFile } from 'node:child_process'
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { errorCodes } from '../src/contract/index.ts'
import { OK_ANSWER_JSON } from '../src/contract/answer.ts'
import { SDKAPPID, TOKEN } from './helpers/app.ts'
import { startService } from './helpers/service.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const spec = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')

/** The `| code | status |` rows of a Markdown error table. */
function errorRows(text: string): Array<[number, number]> {
  return [...text.matchAll(/^\s*\| (\d+) \| (\d{3}) \|/gm)].map((m) => [Number(m[1]), Number(m[2])])
}

describe('the README', () => {
  it('lists exactly the error codes the service sends, as openapi.yaml does', () => {
    const expected = [[0, 200], ...Object.values(errorCodes).map(({ code, status }) => [code, status])].sort()
    expect(errorRows(readme).sort()).toEqual(expected)
    expect(errorRows(spec).sort()).toEqual(expected)
  })

  it("has a signed curl example that works against the real service", async () => {
    const block = /<!-- test\/readme\.test\.ts runs the next block[^>]*-->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBeDefined()
    const scratch = mkdtempSync(join(tmpdir(), 'imsync-readme-'))
    const service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'r.db')}` } })
    try {
      const port = new URL(service.url).port
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', block!], {
        env: { PATH: process.env.PATH, IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, PORT: port },
      })
      expect(stdout).toBe(OK_ANSWER_JSON)
    } finally {
      await service.stop()
      rmSync(scratch, { recursive: true, force: true })
    }
  })
})
