import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run-cli.ts'
import { openStore } from '../../src/store/index.ts'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { SDKAPPID, TOKEN } from '../helpers/app.ts'
import { ROOT, type RunningService, startService } from '../helpers/service.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-cli-'))
let service: RunningService
beforeAll(async () => {
  service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'svc.db')}` } })
})
afterAll(async () => {
  await service.stop()
  rmSync(scratch, { recursive: true, force: true })
})

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(args, { env, out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('send', () => {
  it("signs and posts the documented sample, and prints IM's view of the OK answer", async () => {
    const { code, out } = await cli([
      'send',
      '--url',
      `${service.url}/callback`,
      '--sdkappid',
      SDKAPPID,
      '--token',
      TOKEN,
    ])
    expect(out).toContain('HTTP 200 ActionStatus=OK ErrorCode=0 ErrorInfo=""')
    expect(out).toContain('IM would count this callback a success.')
    expect(code).toBe(0)
  })

  it('prints the FAIL and exits non-zero with a wrong token', async () => {
    const { code, out } = await cli([
      'send',
      '--url',
      `${service.url}/callback`,
      '--sdkappid',
      SDKAPPID,
      '--token',
      'wrong',
    ])
    expect(out).toContain('HTTP 401 ActionStatus=FAIL ErrorCode=4005')
    expect(out).toContain('IM would count this callback a failure.')
    expect(code).toBe(1)
  })

  it('tries the time window with --time', async () => {
    const old = String(Math.floor(Date.now() / 1000) - 3600)
    const { code, out } = await cli([
      'send',
      '--url',
      `${service.url}/callback`,
      '--sdkappid',
      SDKAPPID,
      '--token',
      TOKEN,
      '--time',
      old,
    ])
    expect(out).toMatch(/HTTP 401 ActionStatus=FAIL ErrorCode=4007 ErrorInfo="RequestTime is 36\d\d s in the past/)
    expect(code).toBe(1)
  })

  it('posts a JSON file, and a generated body for --command', async () => {
    const file = join(scratch, 'body.json')
    writeFileSync(file, JSON.stringify({ ...sampleAfterCreateTopic, TopicId: '@TGS#_from-file' }))
    expect(
      (
        await cli(['send', '--url', `${service.url}/callback`, '--file', file], {
          IM_SDKAPPID: SDKAPPID,
          IM_CALLBACK_TOKEN: TOKEN,
        })
      ).code,
    ).toBe(0)
    const other = await cli(
      ['send', '--url', `${service.url}/callback`, '--command', 'Group.CallbackAfterCreateGroup'],
      { IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN },
    )
    expect(other.out).toContain('POST')
    expect(other.code).toBe(0)
  })

  it('exits non-zero when the URL cannot be reached', async () => {
    const { code, err } = await cli(['send', '--url', 'http://127.0.0.1:9/callback', '--sdkappid', SDKAPPID])
    expect(err).toMatch(/^Could not reach http:\/\/127.0.0.1:9\/callback: /)
    expect(code).toBe(1)
  })

  it('refuses bad flags with a clear error and exit 2', async () => {
    for (const [args, message] of [
      [['send', '--bogus'], "Unknown option '--bogus'"],
      [['send', '--sdkappid', SDKAPPID, '--time', 'noon'], '--time must be Unix seconds, got "noon"'],
      [['send'], '--sdkappid is required (or set IM_SDKAPPID)'],
      [['send', '--sdkappid', SDKAPPID, '--url', 'not a url'], '--url must be an absolute URL'],
      [['send', '--sdkappid', SDKAPPID, '--file', join(scratch, 'missing.json')], 'missing.json: ENOENT'],
      [['frobnicate'], 'unknown command "frobnicate"'],
    ] as const) {
      const { code, err } = await cli([...args])
      expect(err).toContain(message)
      expect(code).toBe(2)
    }
  })

  it('prints --help for each command', async () => {
    for (const command of ['send', 'replay', 'migrate']) {
      const { code, out } = await cli([command, '--help'])
      expect(out).toMatch(new RegExp(`^Usage: im-topic-sync ${command}`))
      expect(code).toBe(0)
    }
  })

  it('works through npx against the running service', async () => {
    const run = promisify(execFile)
    const args = ['im-topic-sync', 'send', '--url', `${service.url}/callback`, '--sdkappid', SDKAPPID, '--token', TOKEN]
    const { stdout } = await run('npx', args, { cwd: ROOT })
    expect(stdout).toContain('IM would count this callback a success.')
    const failed = await run('npx', [...args.slice(0, -1), 'wrong'], { cwd: ROOT }).catch(
      (error: { code: number; stdout: string }) => error,
    )
    expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining('ErrorCode=4005') })
  })
})

describe('replay', () => {
  it('re-runs rejected events after a fix and reports what changed', async () => {
    const url = `file:${join(scratch, 'replay.db')}`
    const store = await openStore(url)
    const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
    const query = { SdkAppid: SDKAPPID, CallbackCommand: 'Group.CallbackAfterCreateTopic', ClientIP: '10.1.1.1' }
    // Rejected by an older, stricter version of the handler; valid under today's.
    await store.record(
      { receivedAt: 1, command: query.CallbackCommand, query, body: encode(sampleAfterCreateTopic) },
      { kind: 'reject', reason: 'an old bug' },
    )
    // Still invalid today.
    await store.record(
      {
        receivedAt: 2,
        command: query.CallbackCommand,
        query,
        body: encode({ CallbackCommand: query.CallbackCommand }),
      },
      { kind: 'reject', reason: 'missing fields' },
    )
    await store.close()

    const dry = await cli(['replay', '--dry-run'], { DATABASE_URL: url })
    expect(dry.out).toContain('event 1 Group.CallbackAfterCreateTopic: rejected -> stored (dry run)')
    const peek = await openStore(url)
    expect(await peek.getTopic(sampleAfterCreateTopic.TopicId)).toBeUndefined()
    await peek.close()

    const { code, out } = await cli(['replay'], { DATABASE_URL: url })
    expect(code).toBe(0)
    expect(out).toContain('event 1 Group.CallbackAfterCreateTopic: rejected -> stored')
    expect(out).toContain(
      'event 2 Group.CallbackAfterCreateTopic: still rejected: Group.CallbackAfterCreateTopic body is invalid: GroupId is required (a string)',
    )
    expect(out).toContain('2 rejected event(s) examined: 1 changed, 1 still rejected.')

    const after = await openStore(url)
    expect(await after.getTopic(sampleAfterCreateTopic.TopicId)).toMatchObject({
      Name: 'MyFirstTopic',
      ClientIP: '10.1.1.1',
    })
    await after.close()
    expect((await cli(['replay', '--json'], { DATABASE_URL: url })).out).toContain('"examined": 1')
  })
})

describe('migrate', () => {
  it('creates the schema once and then reports it current', async () => {
    const url = `file:${join(scratch, 'migrate.db')}`
    expect((await cli(['migrate'], { DATABASE_URL: url })).out).toMatch(
      /applied 0001_topics_and_events, 0002_topic_lifecycle, 0003_change_feed, 0004_event_body_size, 0005_api_keys, 0006_webhook_subscriptions$/,
    )
    expect((await cli(['migrate'], { DATABASE_URL: url })).out).toMatch(/already at the newest schema$/)
  })
})
