import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { makeApp } from '../helpers/app.ts'

// The app's document (from its zod schemas and createRoute()s) must agree with openapi.yaml, operation
// by operation: paths, methods, parameters, required fields, schemas, status codes. Descriptions and
// examples are prose and live only in openapi.yaml; they are not compared.

type Json = any
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']

function deref(doc: Json, node: Json): Json {
  let seen = 0
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (++seen > 20) throw new Error(`$ref loop at ${node.$ref}`)
    node = node.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((at: Json, key: string) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc)
  }
  return node
}

/** A schema reduced to what a validator or a client generator acts on, in one spelling. */
function shape(doc: Json, raw: Json): Json {
  const s = deref(doc, raw)
  if (s === true || s === undefined || (typeof s === 'object' && Object.keys(s).length === 0)) return 'any'
  let nullable = false
  let types: string[] | undefined = s.type === undefined ? undefined : [s.type].flat()
  if (types?.includes('null')) {
    nullable = true
    types = types.filter((t) => t !== 'null')
  }
  const out: Json = {}
  const union = s.anyOf ?? s.oneOf
  if (union) {
    const members = union.map((m: Json) => deref(doc, m))
    const real = members.filter((m: Json) => m.type !== 'null')
    if (real.length < members.length) nullable = true
    if (real.length === 1) return { ...shape(doc, real[0]), ...(nullable ? { nullable } : {}) }
    out.anyOf = real.map((m: Json) => shape(doc, m))
  }
  // With a union, the members say the types and their items; a `type` or `items` beside them (which
  // Scalar's validator and Spectral want) repeats them.
  if (types && !union) out.type = types.length === 1 ? types[0] : [...types].sort()
  if (nullable) out.nullable = true
  for (const key of [
    'enum',
    'format',
    'minimum',
    'maximum',
    'default',
    'const',
    'minLength',
    'maxLength',
    'pattern',
    'maxItems',
  ]) {
    if (s[key] !== undefined) out[key] = s[key]
  }
  // zod writes a literal as a one-value enum; openapi.yaml as `const`. They mean the same.
  if (Array.isArray(out.enum) && out.enum.length === 1 && out.const === undefined) {
    out.const = out.enum[0]
    delete out.enum
  }
  if (s.not !== undefined) out.not = shape(doc, s.not)
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, shape(doc, v)]))
    out.required = [...(s.required ?? [])].sort()
  }
  if (s.items && !union) out.items = shape(doc, s.items)
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = s.additionalProperties === false ? false : shape(doc, s.additionalProperties)
  }
  return out
}

function content(doc: Json, node: Json) {
  return Object.fromEntries(
    Object.entries(deref(doc, node)?.content ?? {}).map(([type, media]: [string, Json]) => [
      type,
      shape(doc, media.schema),
    ]),
  )
}

/** One operation, reduced to what the two documents must agree on. */
function operation(doc: Json, path: string, method: string) {
  const op = doc.paths[path][method]
  return {
    operationId: op.operationId,
    tags: op.tags,
    security: op.security ?? doc.security ?? [],
    parameters: (op.parameters ?? [])
      .map((p: Json) => deref(doc, p))
      .map((p: Json) => ({
        name: p.name,
        in: p.in,
        required: p.required ?? false,
        explode: p.explode ?? (p.style ?? 'form') === 'form',
        schema: shape(doc, p.schema),
      }))
      .sort((a: Json, b: Json) => `${a.in}:${a.name}`.localeCompare(`${b.in}:${b.name}`)),
    requestBody: op.requestBody && {
      required: deref(doc, op.requestBody).required ?? false,
      content: content(doc, op.requestBody),
    },
    responses: Object.fromEntries(Object.entries(op.responses).map(([status, r]) => [status, content(doc, r)])),
  }
}

function operations(doc: Json): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]: [string, Json]) =>
    Object.keys(item)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  )
}

const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
const { app, store } = await makeApp()
const produced = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'app', version: '0' } })
await store.close()

describe('the app implements openapi.yaml', () => {
  it('has exactly the operations that openapi.yaml lists', () => {
    expect(operations(produced).sort()).toEqual(operations(spec).sort())
  })

  for (const op of operations(spec)) {
    const [method, path] = op.split(' ') as [string, string]
    it(`agrees with openapi.yaml on ${op}`, () => {
      expect(produced.paths?.[path]?.[method.toLowerCase() as 'get']).toBeDefined()
      expect(operation(produced, path, method.toLowerCase())).toEqual(operation(spec, path, method.toLowerCase()))
    })
  }

  it('tells apart schemas that differ (the comparison is not vacuous)', () => {
    const base = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }
    expect(shape({}, base)).not.toEqual(shape({}, { ...base, required: [] }))
    expect(shape({}, base)).not.toEqual(shape({}, { ...base, properties: { a: { type: 'integer' } } }))
    expect(shape({}, { type: ['string', 'null'] })).toEqual(
      shape({}, { anyOf: [{ type: 'string' }, { type: 'null' }] }),
    )
    expect(shape({}, { type: 'string' })).not.toEqual(shape({}, { type: ['string', 'null'] }))
    expect(shape({}, { type: 'string', maxLength: 512 })).not.toEqual(shape({}, { type: 'string', maxLength: 511 }))
    expect(shape({}, { type: 'string', enum: ['a'] })).toEqual(shape({}, { type: 'string', const: 'a' }))
    expect(shape({}, { type: 'string', not: { enum: ['a'] } })).not.toEqual(shape({}, { type: 'string' }))
  })
})
