// The `mycel` process once main.ts has checked the Node version: wires the CLI (run.ts) to the real
// stdout, stderr and environment, re-running itself first as a child if its command wants Node flags
// this process could not take by replacing itself (main.ts tried that).
import { canReplaceProcess, howToRerun, missingNodeFlags, rerunWithFlags } from './node-flags.js'
import { run } from './run.js'

// `mycel ls | head` closes our stdout early: that is the reader's choice, not an error to report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

const argv = process.argv.slice(2)
const flags = missingNodeFlags(argv, process.execArgv, process.env)
process.exitCode = flags.length > 0 && howToRerun(argv, canReplaceProcess()) === 'child'
  ? await rerunWithFlags(flags, process.argv[1] as string, argv)
  : await run(argv, {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    errIsTTY: process.stderr.isTTY === true,
    stdin: process.stdin
  })
