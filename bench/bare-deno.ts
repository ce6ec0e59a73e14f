// The bare Deno.serve server the benchmark compares against: parse the JSON body, answer IM's OK body.
const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
const server = Deno.serve(
  { port: Number(Deno.env.get('PORT')), hostname: '127.0.0.1', onListen: () => {} },
  async (req) => {
    await req.json()
    return new Response(OK, { headers: { 'content-type': 'application/json' } })
  },
)
console.log(JSON.stringify({ msg: 'listening', port: server.addr.port }))
Deno.addSignalListener('SIGTERM', () => server.shutdown().then(() => Deno.exit(0)))
