/**
 * Proving that a callback came from Tencent Cloud IM, and signing callbacks as IM does.
 * @module
 */

export { constantTimeEqual } from './constant-time-equal.ts'
export { quote } from './quote.ts'
export { sign } from './sign.ts'
export { type CallbackCredentials, type VerifyCallbackOptions, verifyCallback } from './verify-callback.ts'
