import type {
  CallbackWrites,
  Feed,
  Health,
  Leases,
  MirrorWrites,
  Reads,
  Retention,
  Store,
} from '../../src/store/index.ts'

// Type-level checks, run by the type check (npm run typecheck and npm run test:quick): the Store is cut
// into role interfaces, each member in exactly one of them.

/** Members of Store that no role declares: a member added to Store itself, outside the roles. */
type Unassigned = Exclude<
  keyof Store,
  keyof CallbackWrites | keyof Reads | keyof MirrorWrites | keyof Leases | keyof Feed | keyof Retention | keyof Health
>
/** Members that two roles declare. */
type Shared =
  | (keyof CallbackWrites & keyof Reads)
  | (keyof CallbackWrites & keyof MirrorWrites)
  | (keyof CallbackWrites & keyof Leases)
  | (keyof CallbackWrites & keyof Feed)
  | (keyof CallbackWrites & keyof Retention)
  | (keyof CallbackWrites & keyof Health)
  | (keyof Reads & keyof MirrorWrites)
  | (keyof Reads & keyof Leases)
  | (keyof Reads & keyof Feed)
  | (keyof Reads & keyof Retention)
  | (keyof Reads & keyof Health)
  | (keyof MirrorWrites & keyof Leases)
  | (keyof MirrorWrites & keyof Feed)
  | (keyof MirrorWrites & keyof Retention)
  | (keyof MirrorWrites & keyof Health)
  | (keyof Leases & keyof Feed)
  | (keyof Leases & keyof Retention)
  | (keyof Leases & keyof Health)
  | (keyof Feed & keyof Retention)
  | (keyof Feed & keyof Health)
  | (keyof Retention & keyof Health)

export const everyMemberHasARole: [Unassigned] extends [never] ? true : false = true
export const noMemberHasTwo: [Shared] extends [never] ? true : false = true
