import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, startService, type RunningService } from '../helpers/service.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const present = existsSync(CHROMIUM)
if (!present) {
  if (process.env.CI) throw new Error(`Chromium is not at ${CHROMIUM}; CI needs it (.ci/run installs it)`)
  console.warn(`\n!!! SKIPPING the browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH). !!!\n`)
}

const scratch = mkdtempSync(join(tmpdir(), 'imsync-browser-'))
let service: RunningService
let browser: Browser

describe.skipIf(!present)('the API reference in a real browser (skipped only without Chromium)', () => {
  beforeAll(async () => {
    service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'docs.db')}` } })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    })
  })
  afterAll(async () => {
    await browser?.close()
    await service?.stop()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('renders /docs fully with no internet access: the callback, its fields and example, the error codes, the read API', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const outside: string[] = []
    // Everything the page loads must come from the service itself.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url())
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue()
      outside.push(url.href)
      return route.abort()
    })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    // A violation of the page's Content-Security-Policy shows as a console error.
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) errors.push(message.text())
    })

    mkdirSync(join(ROOT, 'artifacts'), { recursive: true })
    const screenshot = join(ROOT, 'artifacts', 'docs.png')
    const res = await page.goto(`${service.url}/docs`)
    expect(res?.status()).toBe(200)
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/)
    await page.getByText('Receive a Tencent Cloud IM callback').first().waitFor({ timeout: 20_000 })
    const text = () => page.locator('body').innerText()

    const expected = [
      // The callback operation and its query parameters.
      'SdkAppid', 'CallbackCommand', 'OptPlatform', 'RequestTime',
      // The body fields with their descriptions, and the documented sample.
      'TopicId', 'Operator_Account', 'UserDefinedDataList', 'The UserID of the group owner.', 'MyFirstTopic',
      // The ErrorCode table.
      '4005', 'RequestTime is outside the allowed window around the server clock',
      // The read API.
      'List synced topics', 'Read one synced topic', 'List logged callbacks',
    ]
    // Scalar renders sections as they come into view: scroll down, as a reader would, until all is seen.
    const seen = new Set<string>()
    for (let step = 0; step < 60 && seen.size < expected.length; step++) {
      const now = await text()
      // The artifact shows the callback's body fields, where a reader would look first.
      if (!seen.has('The UserID of the group owner.') && now.includes('The UserID of the group owner.')) {
        await page.getByText('The UserID of the group owner.').first().evaluate((el) => el.scrollIntoView({ block: 'center' }))
        await page.waitForTimeout(300)
        await page.screenshot({ path: screenshot })
      }
      for (const e of expected) if (now.includes(e)) seen.add(e)
      await page.mouse.move(900, 500)
      await page.mouse.wheel(0, 700)
      await page.waitForTimeout(150)
    }
    expect(expected.filter((e) => !seen.has(e))).toEqual([])
    expect(existsSync(screenshot)).toBe(true)
    expect(outside).toEqual([])
    expect(errors).toEqual([])

    await page.close()
  })
})
