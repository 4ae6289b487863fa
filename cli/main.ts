#!/usr/bin/env node
// The `mycel` executable. The polyfill must come first: libp2p needs it on Node 20.
import '../daemon/polyfill.js'
import { run } from './run.js'

const code = await run(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  isTTY: process.stdout.isTTY === true
})
process.exitCode = code
