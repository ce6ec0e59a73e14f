import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createRoute, z } from '@hono/zod-openapi'
import { type ApiReferenceConfiguration, Scalar } from '@scalar/hono-api-reference'
import { openapiDocument, openapiYaml } from '../../generated/spec.ts'
import type { App } from '../app-env.ts'
import { contentSecurityPolicy } from '../http/content-security-policy.ts'
import { headersTooLarge } from './responses.ts'

const text = (description: string, type: string) => ({
  description,
  content: { [type]: { schema: z.string() } },
})

/** `GET /openapi.yaml`. */
export const openapiYamlRoute = createRoute({
  method: 'get',
  path: '/openapi.yaml',
  operationId: 'getOpenApiYaml',
  tags: ['Operations'],
  responses: { 200: text('The OpenAPI document, as written.', 'application/yaml'), ...headersTooLarge },
})

/** `GET /openapi.json`. */
export const openapiJsonRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApiJson',
  tags: ['Operations'],
  responses: {
    200: {
      description: 'The OpenAPI document, as JSON.',
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
    },
    ...headersTooLarge,
  },
})

/** `GET /docs`. */
export const docsRoute = createRoute({
  method: 'get',
  path: '/docs',
  operationId: 'getDocs',
  tags: ['Operations'],
  responses: { 200: text('An HTML page.', 'text/html'), ...headersTooLarge },
})

/** `GET /docs/api-reference.js`. */
export const docsBundleRoute = createRoute({
  method: 'get',
  path: '/docs/api-reference.js',
  operationId: 'getDocsBundle',
  tags: ['Operations'],
  responses: { 200: text('The Scalar API reference bundle.', 'text/javascript'), ...headersTooLarge },
})

/** The path the app is mounted at, from the path of its `/docs` page: '' at the root. */
const mountPrefix = (docsPath: string) => docsPath.slice(0, docsPath.length - docsRoute.path.length)

/** The service's icon: a speech bubble, in the colours of the page. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0a66c2"/><path d="M8 9h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-9l-5 4v-4H8a2 2 0 0 1-2-2v-9a2 2 0 0 1 2-2z" fill="#fff"/><path d="M11 14h10M11 18h6" stroke="#0a66c2" stroke-width="2" stroke-linecap="round"/></svg>`

/**
 * Where Scalar's defaults read badly for this contract: the introduction's tables (the ErrorCode
 * table) get the full width of the content column instead of half of it, and their "Meaning" column
 * is not squeezed into a narrow strip.
 */
const READABLE_CSS = `
.introduction-section .section-columns { display: block; }
.introduction-section .section-column { max-width: none; width: 100%; }
.introduction-section table { width: 100%; table-layout: auto !important; }
.introduction-section table th:nth-child(-n+2), .introduction-section table td:nth-child(-n+2) { width: 1%; white-space: nowrap; }
`

let bundle: Promise<Uint8Array<ArrayBuffer>> | undefined

/**
 * The Scalar bundle, read once, on first use: the copy `npm run build` puts in dist/assets, or, run
 * from source (Deno, the tests), the one in node_modules (@scalar/api-reference is a development
 * dependency: a built service does not need its 300 packages).
 */
function loadBundle(): Promise<Uint8Array<ArrayBuffer>> {
  bundle ??= readFile(new URL('../../assets/api-reference.js', import.meta.url))
    .catch(() => readFile(createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js')))
    .then(
      (buffer) =>
        new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer),
    )
  return bundle
}

const openapiJson = JSON.stringify(openapiDocument)

/**
 * Registers the contract (`/openapi.yaml`, `/openapi.json`) and its interactive reference (`/docs`),
 * whose script is served by the service itself, so that the page works with no internet access.
 *
 * @example
 * ```ts
 * registerDocs(app)
 * ```
 */
export function registerDocs(app: App): void {
  for (const route of [openapiYamlRoute, openapiJsonRoute, docsRoute, docsBundleRoute]) {
    app.openAPIRegistry.registerPath(route)
  }
  app.get(openapiYamlRoute.path, (c) => c.body(openapiYaml, 200, { 'content-type': 'application/yaml; charset=utf-8' }))
  app.get(openapiJsonRoute.path, (c) => c.body(openapiJson, 200, { 'content-type': 'application/json; charset=utf-8' }))
  // The page depends only on where the app is mounted: its policy is computed once per mount path,
  // from its inline scripts.
  const policies = new Map<string, string>()
  app.get(
    docsRoute.path,
    async function withContentSecurityPolicy(c, next) {
      await next()
      const prefix = mountPrefix(c.req.path)
      let policy = policies.get(prefix)
      if (policy === undefined) {
        policy = contentSecurityPolicy(await c.res.clone().text())
        policies.set(prefix, policy)
      }
      c.res.headers.set('content-security-policy', policy)
      c.res.headers.set('x-content-type-options', 'nosniff')
      c.res.headers.set('referrer-policy', 'no-referrer')
    },
    Scalar((c) => {
      const prefix = mountPrefix(c.req.path)
      return {
        // Relative, so that the page also works where the app is mounted under a prefix.
        url: 'openapi.json',
        cdn: 'docs/api-reference.js',
        favicon: 'favicon.svg',
        pageTitle: 'Tencent Cloud IM topic sync: API reference',
        // The spec's server is `/`, relative: "Test Request" goes to the service that served this page,
        // under the path the app is mounted at (the browser supplies the scheme, host and port).
        ...(prefix === ''
          ? {}
          : { servers: [{ url: `${prefix}/`, description: 'This service, where the page was served' }] }),
        // The read API's token is what a reader needs; the introduction's box offers it first.
        authentication: { preferredSecurityScheme: 'BearerAuth' },
        customCss: READABLE_CSS,
        // Nothing may leave the page: no web fonts, no "Ask AI" agent (it calls Scalar's servers), no
        // telemetry. The page must work on a closed network.
        withDefaultFonts: false,
        agent: { disabled: true },
        telemetry: false,
        showDeveloperTools: 'never',
        hideClientButton: true,
        defaultOpenAllTags: true,
      } satisfies Partial<ApiReferenceConfiguration>
    }),
  )
  // A browser asks every site for /favicon.ico; the page names /favicon.svg. Both are the same icon.
  for (const path of ['/favicon.ico', '/favicon.svg']) {
    app.get(path, (c) =>
      c.body(FAVICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }),
    )
  }
  app.get(docsBundleRoute.path, async (c) =>
    c.body(await loadBundle(), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
  )
}
