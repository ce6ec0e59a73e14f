import fc from 'fast-check'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'

// The hostile input of the property-based tests, shared by the fuzz suite and the suite that checks
// that every path to the callback core answers alike.

const encoder = new TextEncoder()

export const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constant('\u0000'),
  fc.constant(''),
)
export const queryKey = fc.oneof(
  fc.constantFrom('SdkAppid', 'CallbackCommand', 'Sign', 'RequestTime', 'ClientIP', 'OptPlatform', 'contenttype'),
  fc.string(),
)

/** Bodies of every kind: JSON, truncated JSON, deep nesting, huge strings, wrong types, bytes, NULs, duplicate keys. */
export const body = fc.oneof(
  fc.json().map((j) => encoder.encode(j)),
  fc.json().chain((j) => fc.nat(j.length).map((n) => encoder.encode(j.slice(0, n)))),
  fc.anything().map((v) => encoder.encode(JSON.stringify(v) ?? 'undefined')),
  fc.uint8Array({ maxLength: 512 }),
  fc.integer({ min: 1, max: 5000 }).map((n) => encoder.encode('['.repeat(n) + ']'.repeat(n))),
  fc
    .integer({ min: 1, max: 60_000 })
    .map((n) => encoder.encode(JSON.stringify({ ...sampleAfterCreateTopic, Name: 'x'.repeat(n) }))),
  // Around the limits: names of any text up to past the 4,096-character cap, IDs past 512.
  fc
    .record({
      Name: fc.string({ unit: 'grapheme', maxLength: 5000 }),
      GroupId: fc.string({ minLength: 0, maxLength: 600 }),
    })
    .map((fields) => encoder.encode(JSON.stringify({ ...sampleAfterCreateTopic, ...fields }))),
  fc
    .record({ key: fc.constantFrom('TopicId', 'Name', 'GroupId', 'CallbackCommand'), value: fc.jsonValue() })
    .map(({ key, value }) =>
      encoder.encode(
        JSON.stringify(sampleAfterCreateTopic).replace(/}$/, `,${JSON.stringify(key)}:${JSON.stringify(value)}}`),
      ),
    ),
  fc
    .dictionary(fc.constantFrom(...Object.keys(sampleAfterCreateTopic)), fc.oneof(fc.jsonValue(), anyText))
    .map((fields) => encoder.encode(JSON.stringify({ ...sampleAfterCreateTopic, ...fields }))),
)

export const headers = fc.dictionary(
  fc.constantFrom('content-type', 'x-forwarded-for', 'accept', 'x-anything', 'content-encoding'),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
)
