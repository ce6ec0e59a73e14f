/**
 * The callback contract as zod schemas: the same shapes as openapi.yaml, checked against it by the
 * type-level tests and by the document comparison test.
 * @module
 */
export { CallbackAnswer, OK_ANSWER_JSON } from './answer.ts'
export {
  CallbackAfterCreateTopic,
  CallbackAfterGroupDestroyed,
  CallbackAfterTopicDestroyed,
  CallbackAfterTopicInfoChanged,
  CallbackBody,
  OtherCallback,
  UserDefinedData,
} from './callback-bodies.ts'
export { CallbackQuery } from './callback-query.ts'
export { type ErrorKind, errorCodes } from './error-codes.ts'
export type * as Generated from './generated-types.ts'
export {
  CallbackEvent,
  CallbackEventPage,
  ChangeKind,
  ChangePage,
  EventOutcome,
  Health,
  ListChangesQuery,
  ListEventsQuery,
  ListTopicsQuery,
  Readiness,
  StreamChangesQuery,
  Topic,
  TopicChange,
  TopicPage,
  TopicParams,
} from './read-api.ts'
export { type Answer, Refusal, refusalAnswer } from './refusal.ts'
