// A program another team would write against the client that @hey-api/openapi-ts generates from
// openapi.yaml. test/contract/client-generators.e2e.test.ts generates the client into ./generated beside a
// copy of this file, type-checks both with `tsc --strict`, and runs `run` against the real service.
import { createClient } from './generated/client/index.js'
import { getTopic, listEvents, listTopics } from './generated/sdk.gen.js'
import type { CallbackEvent, Topic } from './generated/types.gen.js'

export async function run(baseUrl: string, token: string, topicId: string) {
  const client = createClient({ baseUrl, auth: () => token })
  const anonymous = createClient({ baseUrl })

  const first = await listTopics({ client, query: { limit: 2 } })
  if (first.error || !first.data) throw new Error(`listTopics: ${first.response.status}`)
  const firstNames: string[] = first.data.items.map((t: Topic) => t.Name)
  const cursor = first.data.nextCursor
  const second = cursor === null ? undefined : await listTopics({ client, query: { limit: 2, cursor } })

  // The raw ID: this generator encodes path parameters itself.
  const byPath = await getTopic({ client, path: { TopicId: topicId } })
  const byQuery = await listTopics({ client, query: { TopicId: [topicId, 'no-such-topic'] } })
  const events = await listEvents({ client, query: { outcome: 'stored', limit: 10 } })
  const eventCommands: string[] = (events.data?.items ?? []).map((e: CallbackEvent) => e.CallbackCommand)

  // The typed errors: the body of a refusal is a CallbackAnswer.
  const missing = await getTopic({ client, path: { TopicId: `${topicId}-missing` } })
  const unauthorized = await listTopics({ client: anonymous })

  return {
    firstNames,
    secondNames: second?.data?.items.map((t) => t.Name) ?? [],
    byPath: { status: byPath.response.status, topicId: byPath.data?.TopicId },
    byQuery: byQuery.data?.items.map((t) => t.TopicId) ?? [],
    eventCommands,
    notFound: { status: missing.response.status, errorCode: missing.error?.ErrorCode, actionStatus: missing.error?.ActionStatus },
    unauthorized: { status: unauthorized.response.status, errorCode: unauthorized.error?.ErrorCode },
  }
}
