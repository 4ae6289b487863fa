// A daemon that cannot start says why in one line a person can act on, with the documented exit
// code: a data dir another daemon holds (4), a port another process holds (4), a listen address
// that is not a multiaddr (2). Real processes, a real port.
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node } from '../helpers/daemons.js'

describe('a daemon that cannot start', () => {
  let running: Node
  let spare: Node
  let server: Server
  let port: number

  beforeAll(async () => {
    running = await Node.create()
    spare = await Node.create()
    await running.start()
    server = createServer()
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    port = (server.address() as { port: number }).port
  })
  afterAll(async () => {
    server.close()
    await running.destroy()
    await spare.destroy()
  })

  it('refuses a data dir another daemon is using (exit 4)', async () => {
    const res = await cli(['daemon', '--dir', running.dir, '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(res.code).toBe(4)
    expect(res.stderr).toContain(`${running.dir}/store is in use by another mycel daemon`)
  })

  it('names the address and the reason when the port is taken (exit 4), without a stack trace', async () => {
    const res = await cli(['daemon', '--dir', spare.dir, '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    expect(res.code).toBe(4)
    expect(res.stderr).toContain(`cannot listen on /ip4/127.0.0.1/tcp/${port}: listen EADDRINUSE`)
    expect(res.stderr).toContain('choose another with --listen')
    expect(res.stderr).not.toMatch(/^\s+at /m)
    expect(res.stderr).not.toContain('faultTolerance')
  })

  it('a listen address that is not a multiaddr is a usage error (exit 2) that says so', async () => {
    const res = await cli(['daemon', '--dir', spare.dir, '--listen', '0.0.0.0:4710'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('listen address "0.0.0.0:4710" is not a multiaddr')
    expect(res.stderr).toContain("run 'mycel daemon --help' for its usage")
  })
})
