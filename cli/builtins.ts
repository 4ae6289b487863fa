// Node built-ins the CLI needs, taken with require() rather than an ES import. An ES import of a
// built-in builds a namespace of every export, and reading node:http's WebSocket, CloseEvent and
// MessageEvent loads undici: ~60 ms of every `mycel status` or `ls` on Node 22 (issue #22's
// cli-start-ms). require() returns the module object; nothing is read until it is used. And each is
// required on first use, not when the CLI loads: node:http and node:crypto together took ~10 ms of
// every command, `--version` and `--help` included, which use neither.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export function http (): typeof import('node:http') {
  return require('node:http') as typeof import('node:http')
}
export function crypto (): typeof import('node:crypto') {
  return require('node:crypto') as typeof import('node:crypto')
}
/** Only `mycel sim` re-runs itself (node-flags.ts); child_process brings net and dgram along, so it loads on first use. */
export function childProcess (): typeof import('node:child_process') {
  return require('node:child_process') as typeof import('node:child_process')
}
