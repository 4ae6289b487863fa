#!/usr/bin/env node
// The `mycel` executable. It checks the Node version before anything else is loaded: on a Node that is
// too old, libp2p would fail deep inside with an obscure TypeError; here it is one clear line (exit 1).
// Static imports run before a module's body, so the rest is loaded with import() once the check passed.
import { nodeVersionProblem } from './version.js'

const problem = nodeVersionProblem(process.versions.node)
if (problem !== undefined) {
  process.stderr.write(`mycel: ${problem}\n`)
  process.exitCode = 1
} else {
  await import('./process-main.js')
}
