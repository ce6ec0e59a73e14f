import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import { openapiDocument, openapiYaml } from '../../generated/spec.ts'
import { contentSecurityPolicy } from '../http/content-security-policy.ts'

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
  responses: { 200: text('The OpenAPI document, as written.', 'application/yaml') },
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
  },
})

/** `GET /docs`. */
export const docsRoute = createRoute({
  method: 'get',
  path: '/docs',
  operationId: 'getDocs',
  tags: ['Operations'],
  responses: { 200: text('An HTML page.', 'text/html') },
})

/** `GET /docs/api-reference.js`. */
export const docsBundleRoute = createRoute({
  method: 'get',
  path: '/docs/api-reference.js',
  operationId: 'getDocsBundle',
  tags: ['Operations'],
  responses: { 200: text('The Scalar API reference bundle.', 'text/javascript') },
})

let bundle: Promise<Uint8Array<ArrayBuffer>> | undefined

/**
 * The Scalar bundle, read once, on first use: the copy `npm run build` puts in dist/assets, or, run
 * from source (Deno, the tests), the one in node_modules (@scalar/api-reference is a development
 * dependency: a built service does not need its 300 packages).
 */
function loadBundle(): Promise<Uint8Array<ArrayBuffer>> {
  bundle ??= readFile(new URL('../../assets/api-reference.js', import.meta.url))
    .catch(() => readFile(createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js')))
    .then((buffer) => new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer))
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
export function registerDocs(app: OpenAPIHono<any>): void {
  for (const route of [openapiYamlRoute, openapiJsonRoute, docsRoute, docsBundleRoute]) {
    app.openAPIRegistry.registerPath(route)
  }
  app.get(openapiYamlRoute.path, (c) => c.body(openapiYaml, 200, { 'content-type': 'application/yaml; charset=utf-8' }))
  app.get(openapiJsonRoute.path, (c) => c.body(openapiJson, 200, { 'content-type': 'application/json; charset=utf-8' }))
  // The page is the same for every request: its policy is computed once, from its inline scripts.
  let policy: string | undefined
  app.get(
    docsRoute.path,
    async function withContentSecurityPolicy(c, next) {
      await next()
      policy ??= contentSecurityPolicy(await c.res.clone().text())
      c.res.headers.set('content-security-policy', policy)
      c.res.headers.set('x-content-type-options', 'nosniff')
      c.res.headers.set('referrer-policy', 'no-referrer')
    },
    Scalar({
      // Relative, so that the page also works where the app is mounted under a prefix.
      url: 'openapi.json',
      cdn: 'docs/api-reference.js',
      pageTitle: 'Tencent Cloud IM topic sync: API reference',
      // Nothing may leave the page: no web fonts, no "Ask AI" agent (it calls Scalar's servers), no
      // telemetry. The page must work on a closed network.
      withDefaultFonts: false,
      agent: { disabled: true },
      telemetry: false,
      showDeveloperTools: 'never',
      hideClientButton: true,
      defaultOpenAllTags: true,
    } as Parameters<typeof Scalar>[0]),
  )
  app.get(docsBundleRoute.path, async (c) =>
    c.body(await loadBundle(), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
  )
}
