// The version `mycel --version` and `mycel daemon` report: package.json's, read once.
import { readFileSync } from 'node:fs'

function readVersion (): string {
  // Works from both cli/ (vitest) and dist/cli/ (built): walk up to package.json.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'mycel' && typeof pkg.version === 'string') return pkg.version
    } catch {}
  }
  return '0.0.0'
}

export const VERSION = readVersion()
