// A daemon's local API listens on 127.0.0.1 of its own network namespace, which the harness (in the
// machine's namespace) cannot reach. This runs inside the site's namespace and forwards a Unix socket,
// which lives in the file system and so is reachable from every namespace, to that API port.
// The harness then offers it on its own 127.0.0.1 (reachApi below), so the test helpers' HTTP client
// works unchanged. Nothing here listens on a network address.
//
//   ip netns exec NS node api-bridge.js SOCKET_PATH API_PORT     (inside the site)

import { connect, createServer, type Socket } from 'node:net'
import { rmSync } from 'node:fs'

export function pipeBoth (a: Socket, b: Socket): void {
  a.pipe(b)
  b.pipe(a)
  a.on('error', () => { b.destroy() })
  b.on('error', () => { a.destroy() })
  a.on('close', () => { b.destroy() })
  b.on('close', () => { a.destroy() })
}

/** The harness's side: a TCP port on the machine's 127.0.0.1 forwarded to the site's Unix socket. */
export async function reachApi (socketPath: string): Promise<{ url: string, close: () => void }> {
  const server = createServer(client => { pipeBoth(client, connect(socketPath)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, close: () => { server.close() } }
}

function main (socketPath: string, apiPort: number): void {
  rmSync(socketPath, { force: true })
  const server = createServer(client => { pipeBoth(client, connect(apiPort, '127.0.0.1')) })
  server.listen(socketPath, () => { process.stdout.write('listening\n') })
  process.on('SIGTERM', () => { server.close(); process.exit(0) })
}

if (process.argv[1]?.endsWith('api-bridge.js') === true && process.argv.length === 4) main(process.argv[2], Number(process.argv[3]))
