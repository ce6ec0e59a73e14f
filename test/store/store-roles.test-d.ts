import type {
  ApiKeys,
  CallbackWrites,
  Feed,
  Health,
  Leases,
  MirrorWrites,
  Reads,
  Retention,
  Store,
  Subscriptions,
} from '../../src/store/index.ts'

// Type-level checks, run by the type check (npm run typecheck and npm run test:quick): the Store is cut
// into role interfaces, each member in exactly one of them.

interface Roles {
  CallbackWrites: CallbackWrites
  Reads: Reads
  MirrorWrites: MirrorWrites
  Leases: Leases
  Feed: Feed
  Retention: Retention
  Health: Health
  ApiKeys: ApiKeys
  Subscriptions: Subscriptions
}

/** Members of Store that no role declares: a member added to Store itself, outside the roles. */
type Unassigned = Exclude<keyof Store, { [R in keyof Roles]: keyof Roles[R] }[keyof Roles]>
/** Members that two roles declare. */
type Shared = {
  [A in keyof Roles]: { [B in Exclude<keyof Roles, A>]: keyof Roles[A] & keyof Roles[B] }[Exclude<keyof Roles, A>]
}[keyof Roles]

export const everyMemberHasARole: [Unassigned] extends [never] ? true : false = true
export const noMemberHasTwo: [Shared] extends [never] ? true : false = true
