// HOST:PORT as an operator writes it for a listener of its own (--metrics-listen,
// --registry): parsed in one place, with one error message.

import { MycelError } from '../protocol/errors.js'

export interface ListenAddr { host?: string, port: number }

/** `HOST:PORT`, `[IPV6]:PORT`, or `:PORT` / `PORT` for every interface (as node_exporter's flag). */
export function parseListenAddr (text: string, what = '--metrics-listen'): ListenAddr {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim()) ?? /^()()(\d{1,5})$/.exec(text.trim())
  const port = Number(m?.[3])
  if (m === null || !(port >= 0 && port <= 65535)) throw MycelError.usage(`${what} must be HOST:PORT, [IPV6]:PORT or :PORT (every interface), e.g. 0.0.0.0:9464, not '${text}'`)
  const host = (m[1] ?? '') !== '' ? m[1] : (m[2] ?? '') !== '' ? m[2] : undefined
  return { host, port }
}
