import type { ParseArgsConfig } from 'node:util'
import { KEYS_USAGE } from './keys.ts'

/** The command's name, as users type it. */
export const BIN = 'im-topic-sync'

/** The command's help. */
export const USAGE = `Usage: ${BIN} <command> [options]

Commands:
  serve     Run the service (callbacks, read API, /docs), configured by the environment
  send      Sign and post a callback as Tencent Cloud IM does, and print IM's view of the answer
  replay    Re-run rejected callbacks through the current handlers, after a fix
  keys      Create, list and revoke the read API's keys (one per team, with scopes)
  migrate   Bring the database (DATABASE_URL, or ./data/callbacks.db) to the newest schema
  reconcile Bring the topic mirror to what IM's REST API says (the source of truth)

Run '${BIN} <command> --help' for a command's options.`

/** Each subcommand's help and options. */
export const COMMANDS = {
  serve: {
    usage: `Usage: ${BIN} serve

Runs the service on the runtime that runs this command (Node, or Deno with
'deno run -A …/cli/main.js serve'), configured by the environment: PORT, HOST, DATABASE_URL,
IM_SDKAPPID, IM_CALLBACK_TOKEN, API_TOKEN and the rest (see docs/configuration.md). Stops gracefully
on SIGTERM and SIGINT: it finishes what is in flight, commits pending writes, and exits 0.

Options:
  -h, --help         this help`,
    options: { help: { type: 'boolean', short: 'h' } },
  },
  keys: {
    usage: KEYS_USAGE,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  send: {
    usage: `Usage: ${BIN} send [options]

Signs a callback as Tencent Cloud IM does (Sign = sha256(token + RequestTime)) and posts it. Prints the
HTTP status and the answer, and exits 1 when IM would count it a failure (not HTTP 200 with
ActionStatus OK and ErrorCode 0) or when the URL cannot be reached.

Options:
  --url URL          where to post (default http://127.0.0.1:$PORT/callback, PORT defaulting to 8080)
  --sdkappid ID      the SdkAppid query parameter (default $IM_SDKAPPID)
  --token TOKEN      the callback token to sign with (default $IM_CALLBACK_TOKEN; none: unsigned)
  --time SECONDS     RequestTime, Unix seconds (default now), to try the time window
  --command NAME     the CallbackCommand (default Group.CallbackAfterCreateTopic, with a generated body)
  --file PATH        a JSON file with the body to send (its CallbackCommand is the default command)
  --client-ip IP     the ClientIP query parameter (default 127.0.0.1)
  --platform NAME    the OptPlatform query parameter (default RESTAPI)
  -h, --help         this help`,
    options: {
      url: { type: 'string' },
      sdkappid: { type: 'string' },
      token: { type: 'string' },
      time: { type: 'string' },
      command: { type: 'string' },
      file: { type: 'string' },
      'client-ip': { type: 'string' },
      platform: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  replay: {
    usage: `Usage: ${BIN} replay [options]

Re-runs every rejected callback in the event log through the current handlers. An event that now
passes has its effect applied and its outcome updated; one that still fails is left as it was.
Uses DATABASE_URL (default: ./data/callbacks.db).

Options:
  --dry-run          report what would change, and write nothing
  --json             print the report as JSON
  -h, --help         this help`,
    options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  },
  migrate: {
    usage: `Usage: ${BIN} migrate

Brings the database named by DATABASE_URL (default: ./data/callbacks.db) to the newest schema. The
service does this at startup too; several replicas may run it at once.

Options:
  -h, --help         this help`,
    options: { help: { type: 'boolean', short: 'h' } },
  },
  reconcile: {
    usage: `Usage: ${BIN} reconcile [options]

Reads every Community and its topics from IM's REST API and brings the mirror to it: inserts the
topics it lacks, updates changed profiles, and marks deleted the topics (and groups) IM no longer
lists. Each change is printed and logged in the event log with source "reconcile". Uses the service's
environment: IM_SDKAPPID, IM_ADMIN_IDENTIFIER, IM_SECRET_KEY, IM_API_BASE and DATABASE_URL. Every
answer of IM's is checked whole first: a group whose answer is malformed or incomplete is left as it
was. Exits 1 when a call to IM failed or an answer could not be used, and when the run stopped
before deleting more than a tenth of the mirror's topics (at least 10).

Options:
  --group ID         only this group
  --dry-run          print what would change, and write nothing
  --allow-mass-delete  delete what IM no longer lists, however much of the mirror that is
  --json             print the report as JSON
  -h, --help         this help`,
    options: {
      group: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'allow-mass-delete': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  },
} satisfies Record<string, { usage: string; options: ParseArgsConfig['options'] }>
