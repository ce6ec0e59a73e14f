/**
 * The callback contract as zod schemas: the same shapes as openapi.yaml, checked against it by the
 * type-level tests and by the document comparison test.
 * @module
 */
export { CallbackAnswer, OK_ANSWER_JSON } from './answer.ts'
export { CallbackQuery } from './callback-query.ts'
export {
  CallbackAfterCreateTopic,
  CallbackAfterGroupDestroyed,
  CallbackAfterTopicDestroyed,
  CallbackAfterTopicInfoChanged,
  CallbackBody,
  OtherCallback,
  UserDefinedData,
} from './callback-bodies.ts'
export {
  CallbackEvent,
  CallbackEventPage,
  ChangeKind,
  ChangePage,
  EventOutcome,
  ListChangesQuery,
  StreamChangesQuery,
  TopicChange,
  Health,
  ListEventsQuery,
  ListTopicsQuery,
  Readiness,
  Topic,
  TopicPage,
  TopicParams,
} from './read-api.ts'
export { errorCodes, type ErrorKind } from './error-codes.ts'
export { Refusal, refusalAnswer } from './refusal.ts'
export type * as Generated from './generated-types.ts'
