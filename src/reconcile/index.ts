/**
 * Reconciliation with IM's REST API, the source of truth for topics: the REST client, the UserSig it
 * signs with, the comparison with the mirror, and the schedule inside the service.
 * @module
 */

export { createReconciler, type Reconciler, type ReconcilerOptions } from './create-reconciler.ts'
export {
  type CallOptions,
  createImRestClient,
  type GroupTopics,
  ImApiError,
  type ImRestClient,
  type ImRestClientOptions,
  type ImTopic,
} from './im-rest-client.ts'
export { makeUserSig, type UserSigInput } from './make-user-sig.ts'
export {
  describeChange,
  MASS_DELETE,
  MassDeleteRefused,
  type ReconcileOptions,
  type ReconcileReport,
  reconcileMirror,
} from './reconcile-mirror.ts'
