// Type-level tests, checked by `tsc --noEmit` in `npm test`: each zod schema in src/contract infers
// exactly the type that openapi-typescript generates from openapi.yaml.
import { expectTypeOf } from 'vitest'
import type { z } from 'zod'
import type * as C from '../../src/contract/index.ts'
import type { Generated } from '../../src/contract/index.ts'

/**
 * The same type, spelled one way: zod writes a loose object as `{…} & {[key: string]: unknown}`,
 * openapi-typescript as `{…; [key: string]: unknown}`. A homomorphic mapped type flattens both alike
 * and changes nothing else (optionality, nullability, arrays and index signatures are kept).
 */
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T
type Infer<T extends z.ZodType> = Flat<z.infer<T>>
type Gen<T> = Flat<T>

// The callback: query, bodies, answer.
expectTypeOf<Infer<typeof C.CallbackQuery>>().toEqualTypeOf<Gen<Generated.CallbackQuery>>()
expectTypeOf<Infer<typeof C.CallbackAfterCreateTopic>>().toEqualTypeOf<Gen<Generated.CallbackAfterCreateTopic>>()
expectTypeOf<Infer<typeof C.CallbackAfterTopicDestroyed>>().toEqualTypeOf<Gen<Generated.CallbackAfterTopicDestroyed>>()
expectTypeOf<Infer<typeof C.CallbackAfterTopicInfoChanged>>().toEqualTypeOf<
  Gen<Generated.CallbackAfterTopicInfoChanged>
>()
expectTypeOf<Infer<typeof C.CallbackAfterGroupDestroyed>>().toEqualTypeOf<Gen<Generated.CallbackAfterGroupDestroyed>>()
expectTypeOf<Infer<typeof C.OtherCallback>>().toEqualTypeOf<Gen<Generated.OtherCallback>>()
expectTypeOf<Infer<typeof C.CallbackBody>>().toEqualTypeOf<Gen<Generated.CallbackBody>>()
expectTypeOf<Infer<typeof C.CallbackAnswer>>().toEqualTypeOf<Gen<Generated.CallbackAnswer>>()

// The read API.
expectTypeOf<Infer<typeof C.Topic>>().toEqualTypeOf<Gen<Generated.Topic>>()
expectTypeOf<Infer<typeof C.TopicPage>>().toEqualTypeOf<Gen<Generated.TopicPage>>()
expectTypeOf<Infer<typeof C.TopicChange>>().toEqualTypeOf<Gen<Generated.TopicChange>>()
expectTypeOf<Infer<typeof C.ChangePage>>().toEqualTypeOf<Gen<Generated.ChangePage>>()
expectTypeOf<Infer<typeof C.ChangeKind>>().toEqualTypeOf<Gen<Generated.ChangeKind>>()
expectTypeOf<Infer<typeof C.CallbackEvent>>().toEqualTypeOf<Gen<Generated.CallbackEvent>>()
expectTypeOf<Infer<typeof C.CallbackEventPage>>().toEqualTypeOf<Gen<Generated.CallbackEventPage>>()
expectTypeOf<Infer<typeof C.EventOutcome>>().toEqualTypeOf<Gen<Generated.EventOutcome>>()

// The comparison is not vacuous: a missing, extra, optional or retyped field is told apart.
type SampleTopic = Gen<Generated.Topic>
expectTypeOf<Omit<SampleTopic, 'Name'>>().not.toEqualTypeOf<SampleTopic>()
expectTypeOf<SampleTopic & { Extra: string }>().not.toEqualTypeOf<SampleTopic>()
expectTypeOf<Omit<SampleTopic, 'Name'> & { Name?: string }>().not.toEqualTypeOf<SampleTopic>()
expectTypeOf<Omit<SampleTopic, 'DeletedAt'> & { DeletedAt: string }>().not.toEqualTypeOf<SampleTopic>()
