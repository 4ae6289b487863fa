#!/usr/bin/env node
// The `mycel` executable. The polyfill must come first: libp2p needs it on Node 20.
import '../daemon/polyfill.js'
import { missingNodeFlags, rerunWithFlags } from './node-flags.js'
import { run } from './run.js'

// `mycel ls | head` closes our stdout early: that is the reader's choice, not an error to report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

const argv = process.argv.slice(2)
const flags = missingNodeFlags(argv, process.execArgv, process.env)
process.exitCode = flags.length > 0
  ? await rerunWithFlags(flags, process.argv[1] as string, argv)
  : await run(argv, {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    isTTY: process.stdout.isTTY === true
  })
