import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// What /docs shows a reader must work when copied: every operation has hand-written samples that never
// carry a token, and every example of a response is one the schema accepts.

type Json = any
const doc: Json = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
const METHODS = ['get', 'post', 'put', 'patch', 'delete']
const operations: Array<{ id: string; op: Json }> = Object.values(doc.paths).flatMap((item: Json) =>
  METHODS.filter((m) => item[m]).map((m) => ({ id: item[m].operationId as string, op: item[m] })),
)

function deref(node: Json): Json {
  while (node && typeof node.$ref === 'string')
    node = node.$ref
      .slice(2)
      .split('/')
      .reduce((at: Json, key: string) => at[key], doc)
  return node
}

describe('the code samples of openapi.yaml', () => {
  it.each(operations)('$id has hand-written samples', ({ op }) => {
    expect(op['x-codeSamples']?.length).toBeGreaterThan(0)
    for (const sample of op['x-codeSamples']) {
      expect(sample).toEqual({ lang: expect.any(String), label: expect.any(String), source: expect.any(String) })
    }
  })

  it.each(operations)('$id: no sample holds a literal token or signature', ({ op }) => {
    for (const { source } of op['x-codeSamples'] as Array<{ source: string }>) {
      // A signature or a token, in a URL or a header, is always a variable of the reader's shell or code.
      for (const m of source.matchAll(/[?&](Sign|token|api_token|access_token)=([^&"'\s]*)/gi))
        expect(m[2], `${m[0]} in ${source}`).toMatch(/^\$/)
      for (const m of source.matchAll(/Bearer ([^"'\s]+)/g)) expect(m[1], source).toMatch(/^\$/)
      expect(source).not.toMatch(/YOUR_SECRET|hunter2|[0-9a-f]{64}/i)
    }
  })
})

describe('the examples of openapi.yaml', () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true })
  ajv.addSchema({ ...doc, $id: 'https://contract.invalid/openapi.json' })
  const validator = (schema: Json) =>
    schema.$ref
      ? ajv.getSchema(`https://contract.invalid/openapi.json${schema.$ref}`)!
      : ajv.compile({ ...schema, $id: undefined })

  const responses = operations.flatMap(({ id, op }) =>
    Object.entries(op.responses).flatMap(([status, raw]) =>
      Object.entries((deref(raw).content ?? {}) as Record<string, Json>).map(([type, media]) => ({
        name: `${id} ${status} ${type}`,
        media,
      })),
    ),
  )

  it.each(responses)('$name has an example its schema accepts', ({ media }) => {
    const examples = [
      ...(media.example !== undefined ? [media.example] : []),
      ...Object.values((media.examples ?? {}) as Record<string, Json>).map((e) => deref(e).value),
    ]
    if (examples.length === 0 && deref(media.schema).example !== undefined) examples.push(deref(media.schema).example)
    const schema = media.schema
    // A document served whole (the contract itself, the docs page, its script) has nothing to show.
    if (schema.type === 'string' && examples.length === 0 && !/Prometheus/.test(JSON.stringify(media))) return
    if (schema.type === 'object' && schema.additionalProperties === true) return
    expect(examples.length).toBeGreaterThan(0)
    const validate = validator(schema)
    for (const example of examples)
      expect(validate(example) ? [] : validate.errors, JSON.stringify(example)).toEqual([])
  })

  it.each(Object.entries(doc.components.schemas as Record<string, Json>).filter(([, s]) => s.example !== undefined))(
    'the example of schema %s is one it accepts',
    (name, schema) => {
      const validate = ajv.getSchema(`https://contract.invalid/openapi.json#/components/schemas/${name}`)!
      expect(validate(schema.example) ? [] : validate.errors).toEqual([])
    },
  )

  it('refuses what the generated examples used to show: a change with kind and topic null', () => {
    const validate = ajv.getSchema('https://contract.invalid/openapi.json#/components/schemas/ChangePage')!
    expect(
      validate({ items: [{ position: 1, kind: null, at: 'x', topic: null }], nextCursor: 'string', hasMore: false }),
    ).toBe(false)
  })

  it("keeps helper schemas out of the reference's models", () => {
    for (const name of ['Id', 'Label', 'Text']) expect(doc.components.schemas[name]['x-scalar-ignore']).toBe(true)
  })
})
