#!/usr/bin/env node
// The `mycel` executable. It checks the Node version before anything else is loaded: on a Node that is
// too old, libp2p would fail deep inside with an obscure TypeError; here it is one clear line (exit 1).
// Static imports run before a module's body, so the rest is loaded with import() once the check passed.
// Before that import, V8's compile cache is turned on (Node 22.1+): the code of every module loaded is
// kept compiled on disk (in $NODE_COMPILE_CACHE, else the OS temp dir) and reused by the next run, which
// is most of what a short command like `mycel status` spends before its first request (issue #22).
// A command that wants node flags (`mycel daemon`: a smaller young generation; `sim`: a larger one)
// gets them here, before the CLI itself is loaded: by replacing this process, else by running itself
// again as a child (node-flags.ts).
import module from 'node:module'
import { canReplaceProcess, howToRerun, missingNodeFlags, replaceWithFlags, rerunWithFlags } from './node-flags.js'
import { nodeVersionProblem } from './version.js'

const problem = nodeVersionProblem(process.versions.node)
if (problem !== undefined) {
  process.stderr.write(`mycel: ${problem}\n`)
  process.exitCode = 1
} else {
  const argv = process.argv.slice(2)
  const flags = missingNodeFlags(argv, process.execArgv, process.env)
  const how = flags.length > 0 ? howToRerun(argv, canReplaceProcess()) : 'as-is'
  // Returns only if the system refused: then the command runs as it is, below.
  if (how === 'replace') replaceWithFlags(flags, process.argv[1] as string, argv)
  if (how === 'child') {
    process.exitCode = await rerunWithFlags(flags, process.argv[1] as string, argv)
  } else {
    try { module.enableCompileCache?.() } catch { /* a cache that cannot be written only costs speed */ }
    await import('./process-main.js')
  }
}
