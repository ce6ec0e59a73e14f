import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseQuery } from '../../src/callbacks/callback-core.ts'

/** What parseQuery must give: URLSearchParams' reading, first value wins, Sign apart. */
function viaUrlSearchParams(search: string) {
  const query: Record<string, string> = {}
  let sign: string | undefined
  for (const [key, value] of new URLSearchParams(search)) {
    if (key === 'Sign') sign ??= value
    else if (!Object.hasOwn(query, key)) query[key] = value
  }
  return { query, sign }
}

const piece = fc.oneof(
  fc.constantFrom(
    'SdkAppid',
    'CallbackCommand',
    'Sign',
    'RequestTime',
    'ClientIP',
    '=',
    '&',
    '?',
    '%',
    '%41',
    '%zz',
    '+',
    ' ',
    '\u00e9',
    '\ud800',
    '__proto__',
  ),
  fc.string({ maxLength: 6 }),
)
const search = fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(''))

describe('the callback query string', () => {
  it('is read as URLSearchParams reads it, on the plain path and off it', () => {
    fc.assert(
      fc.property(search, (text) => {
        expect(parseQuery(`/callback?${text}`)).toEqual(viaUrlSearchParams(text))
      }),
      { numRuns: 2000 },
    )
  })

  it("reads IM's query, keeping the first of a repeated parameter and Sign apart", () => {
    expect(
      parseQuery(
        '/callback?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterCreateTopic&Sign=ab&SdkAppid=2&empty&=x&RequestTime=1',
      ),
    ).toEqual({
      query: {
        SdkAppid: '1400000000',
        CallbackCommand: 'Group.CallbackAfterCreateTopic',
        empty: '',
        '': 'x',
        RequestTime: '1',
      },
      sign: 'ab',
    })
    expect(parseQuery('/callback')).toEqual({ query: {}, sign: undefined })
    expect(parseQuery('/callback?a=%41+b&Sign=c%2B')).toEqual({ query: { a: 'A b' }, sign: 'c+' })
  })
})
