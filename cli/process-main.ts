// The `mycel` process once main.ts has checked the Node version and given the command its Node flags:
// wires the CLI (run.ts) to the real stdout, stderr and environment.
import { run } from './run.js'

// `mycel ls | head` closes our stdout early: that is the reader's choice, not an error to report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

process.exitCode = await run(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  errIsTTY: process.stderr.isTTY === true,
  stdin: process.stdin
})
