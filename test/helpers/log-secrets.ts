import { API_TOKEN, PREVIOUS_TOKEN, TOKEN } from './app.ts'
import { IM_SECRET_KEY } from './fake-im.ts'

/** What must never appear in a log line: every token the tests use, and pieces of bodies they send. */
export const LOG_SECRETS = [
  TOKEN,
  PREVIOUS_TOKEN,
  API_TOKEN,
  IM_SECRET_KEY,
  'xxxxyyyy', // the docs' worked example token
  'bench-token',
  // The documented sample body's values, which only a logged body would carry.
  'MyFirstTopic',
  'UserDefined1',
  'leckie',
]

/** A Sign is 64 lower-case hex characters; nothing else the service logs looks like one. */
const SIGN = /[0-9a-f]{64}/

/** The secrets a log line holds, if any. */
export function findSecrets(line: string): string[] {
  const found = LOG_SECRETS.filter((secret) => line.includes(secret))
  if (SIGN.test(line)) found.push('a Sign')
  return found
}
