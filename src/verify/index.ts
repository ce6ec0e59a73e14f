/**
 * Proving that a callback came from Tencent Cloud IM, and signing callbacks as IM does.
 * @module
 */
export { sign } from './sign.ts'
export { constantTimeEqual } from './constant-time-equal.ts'
export { quote } from './quote.ts'
export { verifyCallback, type CallbackCredentials, type VerifyCallbackOptions } from './verify-callback.ts'
