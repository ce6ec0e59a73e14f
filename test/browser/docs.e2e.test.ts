import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { API_TOKEN, makeApp, SDKAPPID, TOKEN } from '../helpers/app.ts'
import { ROOT, type RunningService, sendSigned, startService } from '../helpers/service.ts'

const run = promisify(execFile)
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const present = existsSync(CHROMIUM)
if (!present) {
  if (process.env.CI) throw new Error(`Chromium is not at ${CHROMIUM}; CI needs it (.ci/run installs it)`)
  console.warn(
    `\n!!! SKIPPING the browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH). !!!\n`,
  )
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
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
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
      'SdkAppid',
      'CallbackCommand',
      'OptPlatform',
      'RequestTime',
      // The body fields with their descriptions, and the documented sample.
      'TopicId',
      'Operator_Account',
      'UserDefinedDataList',
      'The UserID of the group owner.',
      'MyFirstTopic',
      // The ErrorCode table.
      '4005',
      'RequestTime is outside the allowed window around the server clock',
      // The read API.
      'List synced topics',
      'Read one synced topic',
      'List logged callbacks',
    ]
    // Scalar renders sections as they come into view: scroll down, as a reader would, until all is seen.
    const seen = new Set<string>()
    for (let step = 0; step < 60 && seen.size < expected.length; step++) {
      const now = await text()
      // The artifact shows the callback's body fields, where a reader would look first.
      if (!seen.has('The UserID of the group owner.') && now.includes('The UserID of the group owner.')) {
        await page
          .getByText('The UserID of the group owner.')
          .first()
          .evaluate((el) => el.scrollIntoView({ block: 'center' }))
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

  it('reads well: the error codes at full width, no open-object rows, the bearer token offered, no validation warning, a favicon', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const warnings: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'warning' || message.type() === 'error') warnings.push(message.text())
    })
    await page.goto(`${service.url}/docs`)
    await page.getByText('Receive a Tencent Cloud IM callback').first().waitFor({ timeout: 20_000 })
    // The ErrorCode table spans the content column, and its "Meaning" column takes most of it.
    const table = page.locator('table', { hasText: 'ErrorCode' }).first()
    await table.scrollIntoViewIfNeeded()
    const widths = await table.evaluate((el) => ({
      table: el.getBoundingClientRect().width,
      column: el.closest('.introduction-section')?.getBoundingClientRect().width ?? 0,
      meaning: el.querySelector('th:last-child')!.getBoundingClientRect().width,
    }))
    expect(widths.table).toBeGreaterThan(widths.column * 0.9)
    expect(widths.meaning).toBeGreaterThan(widths.table * 0.6)
    await page.screenshot({ path: join(ROOT, 'artifacts', 'docs-error-codes.png') })
    // The introduction's authentication box offers the read API's bearer token.
    const text = await page.locator('body').innerText()
    expect(text).not.toContain('No authentication selected')
    expect(await page.getByPlaceholder(/Token/i).count()).toBeGreaterThan(0)
    // Scalar renders `additionalProperties: true` as a cryptic "propertyName anything" row; the body
    // schemas no longer say it (JSON Schema allows extra properties by default).
    await page.getByText('CallbackAfterCreateTopic', { exact: true }).first().click()
    await page.waitForTimeout(500)
    expect(await page.locator('body').innerText()).not.toMatch(/propertyName/i)
    // Scalar checks the document as it loads and warns of anything it cannot read.
    expect(warnings.filter((w) => /validation|Expected union/i.test(w))).toEqual([])
    const icon = await fetch(`${service.url}/favicon.ico`)
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toBe('image/svg+xml')
    expect(await page.locator('link[rel="icon"]').count()).toBeGreaterThan(0)
    await page.close()
  })

  it("runs the callback's shell sample and the get-topic sample as the page shows them", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    try {
      await page.goto(`${service.url}/docs`)
      await page.getByText('Receive a Tencent Cloud IM callback').first().waitFor({ timeout: 20_000 })
      /** The text of the rendered code sample that contains `marker`: what the reader copies. */
      const sample = async (marker: string) => {
        const code = page.locator('code').filter({ hasText: marker }).first()
        await code.waitFor({ timeout: 20_000 })
        return (await code.textContent())!
      }
      // The reader's shell: their token, their app, the service's URL; nothing else of the test's.
      const shell = (code: string) =>
        run('bash', ['-c', code], {
          env: {
            PATH: process.env.PATH!,
            IM_CALLBACK_TOKEN: TOKEN,
            IM_SDKAPPID: SDKAPPID,
            API_TOKEN,
            IMSYNC_URL: service.url,
          },
        })
      const callback = await sample('sha256sum')
      expect(callback).not.toContain(TOKEN)
      const posted = await shell(callback)
      expect(JSON.parse(posted.stdout)).toEqual({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' })

      await page.getByText('Read one synced topic').first().click()
      const read = await shell(await sample('8080}/topics/%40TGS%23'))
      expect(JSON.parse(read.stdout)).toMatchObject({ TopicId: sampleAfterCreateTopic.TopicId, Name: 'MyFirstTopic' })
    } finally {
      await page.close()
    }
  }, 90_000)

  // Each "Test Request" gets a page of its own: a modal left open (or still closing) on a shared page
  // can cover the next click, and on a loaded 2-core machine that hung the test (CI, Node 24).
  it('sends "Test Request" to the service that served the page: /healthz, and a read API call with the token', async () => {
    expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)
    const health = await testRequest(`${service.url}/docs`, 'Liveness', 'healthz', `${service.url}/healthz`)
    expect(health).toEqual({ status: 200, authorization: expect.anything() })
    // The first example of GET /topics/{TopicId} is the sample topic's raw ID, which the page encodes once.
    const topic = await testRequest(
      `${service.url}/docs`,
      'Read one synced topic',
      'topics/{TopicId}',
      `${service.url}/topics/${encodeURIComponent(sampleAfterCreateTopic.TopicId)}`,
      'docs-test-request.png',
    )
    expect(topic).toEqual({ status: 200, authorization: `Bearer ${API_TOKEN}` })
  }, 90_000)

  it('sends "Test Request" under the path the app is mounted at', async () => {
    const { app, store } = await makeApp()
    const parent = new Hono().route('/sync', app)
    const server = serve({ fetch: parent.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sync`
    try {
      expect(await testRequest(`${base}/docs`, 'Liveness', 'healthz', `${base}/healthz`)).toMatchObject({ status: 200 })
    } finally {
      server.close()
      await store.close()
    }
  }, 60_000)
})

/**
 * Opens the API reference at `docsUrl` in a fresh page, enters the read API's token, opens an
 * operation's "Test Request", sends it, and returns the status of the request that reached
 * `expectedUrl` and the Authorization header it carried. When no such request is made, the error
 * lists what the page did request, and a screenshot is left in artifacts/.
 */
async function testRequest(
  docsUrl: string,
  sidebarName: string,
  path: string,
  expectedUrl: string,
  screenshot?: string,
) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
  const requested: string[] = []
  page.on('request', (req) => requested.push(req.url()))
  try {
    await page.goto(docsUrl)
    await page.getByText('Receive a Tencent Cloud IM callback').first().waitFor({ timeout: 20_000 })
    await page.getByPlaceholder(/Token/i).first().fill(API_TOKEN)
    await page.getByText(sidebarName, { exact: true }).first().click({ timeout: 10_000 })
    const operation = page.locator(`[id$="/GET/${path}"]`).first()
    await operation
      .getByRole('button', { name: /Test Request/i })
      .first()
      .click({ timeout: 10_000 })
    const sent = page.waitForResponse((res) => res.url() === expectedUrl, { timeout: 15_000 })
    sent.catch(() => {}) // awaited below; this only keeps a click's failure from leaving it unhandled
    await page.getByRole('button', { name: /^Send/ }).first().click({ timeout: 10_000 })
    const res = await sent
    if (screenshot) await page.screenshot({ path: join(ROOT, 'artifacts', screenshot) })
    return { status: res.status(), authorization: (await res.request().allHeaders()).authorization }
  } catch (error) {
    await page.screenshot({ path: join(ROOT, 'artifacts', 'docs-test-request-failed.png') }).catch(() => {})
    const own = requested.filter((url) => !/\.(js|css|svg|ico)$|\/openapi\.(json|yaml)$|\/docs$/.test(url))
    throw new Error(
      `"Test Request" made no request to ${expectedUrl}; the page's other requests: ${JSON.stringify(own)}`,
      { cause: error },
    )
  } finally {
    await page.close()
  }
}
