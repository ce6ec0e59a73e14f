import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// What client generators in other languages (openapi-generator, NSwag, oapi-codegen…) need from the spec.
const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
const operations = Object.entries(spec.paths).flatMap(([path, item]: [string, any]) =>
  Object.entries(item).map(([method, op]: [string, any]) => ({ id: `${method.toUpperCase()} ${path}`, op })),
)

describe('openapi.yaml for client generators', () => {
  it('gives every operation a unique operationId', () => {
    const ids = operations.map(({ op }) => op.operationId)
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('tags every operation with a declared tag', () => {
    const declared = new Set(spec.tags.map((t: { name: string }) => t.name))
    for (const { id, op } of operations) {
      expect(op.tags?.length, id).toBeGreaterThan(0)
      for (const tag of op.tags) expect(declared.has(tag), `${id}: ${tag}`).toBe(true)
    }
  })

  it('has servers and the security schemes its operations name', () => {
    expect(spec.servers.length).toBeGreaterThan(0)
    const schemes = Object.keys(spec.components.securitySchemes)
    expect(schemes.sort()).toEqual(['BearerAuth', 'ImSign'])
    for (const { op } of operations) {
      for (const requirement of op.security ?? [])
        for (const name of Object.keys(requirement)) expect(schemes).toContain(name)
    }
  })

  it('carries examples: the documented sample body, and one for every answer of the callback', () => {
    const callback = spec.paths['/callback'].post
    expect(callback.requestBody.content['application/json'].examples.afterCreateTopic.value.TopicId).toBe(
      '@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#cRTE3HIM62C5',
    )
    expect(spec.components.schemas.CallbackAfterCreateTopic.example.Name).toBe('MyFirstTopic')
    for (const [status, answer] of Object.entries(callback.responses) as Array<[string, any]>) {
      expect(answer.content['application/json'].example, status).toMatchObject({
        ActionStatus: status === '200' ? 'OK' : 'FAIL',
      })
    }
  })

  it('describes every field of the callback body', () => {
    const { properties } = spec.components.schemas.CallbackAfterCreateTopic
    expect(Object.keys(properties)).toEqual([
      'CallbackCommand',
      'GroupId',
      'TopicId',
      'Operator_Account',
      'Owner_Account',
      'Type',
      'Name',
      'UserDefinedDataList',
    ])
    for (const [name, field] of Object.entries(properties) as Array<[string, any]>)
      expect(field.description, name).toMatch(/\w/)
  })
})
