// A program another team would write against the fetch client that orval generates from openapi.yaml.
// test/contract/client-generators.e2e.test.ts generates the client into ./generated beside a copy of this
// file, type-checks both with `tsc --strict`, and runs `run` against the real service (orval bakes the
// service's URL into the client at generation time).
import { getTopic, listEvents, listTopics } from './generated/api.js'

export async function run(_baseUrl: string, token: string, topicId: string) {
  const auth = { headers: { authorization: `Bearer ${token}` } }

  const first = await listTopics({ limit: 2 }, auth)
  if (first.status !== 200) throw new Error(`listTopics: ${first.status}`)
  const firstNames: string[] = first.data.items.map((t) => t.Name)
  const cursor = first.data.nextCursor
  const second = cursor === null ? undefined : await listTopics({ limit: 2, cursor }, auth)

  // orval puts path parameters in the URL as they are: the contract says the client encodes the raw
  // ID as one path segment. The query lookup needs nothing of the kind.
  const byPath = await getTopic(encodeURIComponent(topicId), auth)
  const byQuery = await listTopics({ TopicId: [topicId, 'no-such-topic'] }, auth)
  const events = await listEvents({ outcome: 'stored', limit: 10 }, auth)

  const missing = await getTopic(encodeURIComponent(`${topicId}-missing`), auth)
  const unauthorized = await listTopics()

  return {
    firstNames,
    secondNames: second?.status === 200 ? second.data.items.map((t) => t.Name) : [],
    byPath: { status: byPath.status, topicId: byPath.status === 200 ? byPath.data.TopicId : undefined },
    byQuery: byQuery.status === 200 ? byQuery.data.items.map((t) => t.TopicId) : [],
    eventCommands: events.status === 200 ? events.data.items.map((e) => e.CallbackCommand) : [],
    notFound: { status: missing.status, errorCode: missing.status === 404 ? missing.data.ErrorCode : undefined, actionStatus: missing.status === 404 ? missing.data.ActionStatus : undefined },
    unauthorized: { status: unauthorized.status, errorCode: unauthorized.status === 401 ? unauthorized.data.ErrorCode : undefined },
  }
}
