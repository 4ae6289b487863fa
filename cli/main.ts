#!/usr/bin/env node
// The `mycel` executable. It checks the Node version before anything else is loaded: on a Node that is
// too old, libp2p would fail deep inside with an obscure TypeError; here it is one clear line (exit 1).
// Static imports run before a module's body, so the rest is loaded with import() once the check passed.
// Before that import, V8's compile cache is turned on (Node 22.1+): the code of every module loaded is
// kept compiled on disk (in $NODE_COMPILE_CACHE, else the OS temp dir) and reused by the next run, which
// is most of what a short command like `mycel status` spends before its first request (issue #22).
// A command that wants node flags and can have them by replacing its process (`mycel daemon`: a
// smaller young generation) does so here, before the CLI itself is loaded (node-flags.ts).
import module from 'node:module'
import { canReplaceProcess, howToRerun, missingNodeFlags, replaceWithFlags } from './node-flags.js'
import { nodeVersionProblem } from './version.js'

const problem = nodeVersionProblem(process.versions.node)
if (problem !== undefined) {
  process.stderr.write(`mycel: ${problem}\n`)
  process.exitCode = 1
} else {
  const argv = process.argv.slice(2)
  const flags = missingNodeFlags(argv, process.execArgv, process.env)
  // Returns only if the system refused; process-main.ts then runs the command as it is.
  if (flags.length > 0 && howToRerun(argv, canReplaceProcess()) === 'replace') replaceWithFlags(flags, process.argv[1] as string, argv)
  try { module.enableCompileCache?.() } catch { /* a cache that cannot be written only costs speed */ }
  await import('./process-main.js')
}
