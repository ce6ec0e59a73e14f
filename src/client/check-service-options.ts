/**
 * Refuses a base URL or token that is not a non-empty string, as options that come straight from the
 * environment give when a variable is unset (`undefined`), naming the function that was called.
 *
 * @example
 * ```ts
 * checkServiceOptions('followChanges', options.baseUrl, options.apiToken)
 * ```
 */
export function checkServiceOptions(caller: string, baseUrl: unknown, apiToken: unknown): void {
  if (typeof baseUrl !== 'string' || baseUrl === '')
    throw new TypeError(`${caller}: baseUrl must be the service's URL, for example http://127.0.0.1:8080`)
  if (typeof apiToken !== 'string' || apiToken === '')
    throw new TypeError(`${caller}: apiToken must be a non-empty string: the service's API_TOKEN`)
}
