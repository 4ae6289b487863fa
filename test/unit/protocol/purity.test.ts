// The core stays pure (STYLE.md 1 and 3): protocol/ does no I/O and reads no
// ambient time or randomness, so the daemon and the simulator drive the very
// same code and a seed replays a run exactly. Every protocol/*.ts is read
// (comments and string contents stripped) and fails on a node: or builtin
// import (the allow-listed sha256.ts picks node:crypto's hash when there is
// one), libp2p, level, Date, performance, the timers, Math.random and
// crypto's random sources.

import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const PROTOCOL = join(dirname(fileURLToPath(import.meta.url)), '../../../protocol')

/** Files that may import node: modules, and why. */
const NODE_ALLOWED: Record<string, string> = {
  'sha256.ts': 'a hash is a pure function; node:crypto computes it faster where it exists'
}

const AMBIENT: Array<[RegExp, string]> = [
  [/\bDate\b/, 'Date (wall-clock time: use the injected Clock)'],
  [/\bperformance\s*\.\s*now\b/, 'performance.now (use the injected Clock)'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'a timer (the driver ticks the core: protocol/driver.ts)'],
  [/\bclear(Timeout|Interval|Immediate)\b/, 'a timer'],
  [/\bMath\s*\.\s*random\b/, 'Math.random (use the injected Random)'],
  [/\bcrypto\s*\.\s*(getRandomValues|randomUUID|randomBytes)\b/, 'crypto randomness (use the injected Random or KeyMaker)'],
  [/\brequire\s*\(/, 'require()']
]

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'"`]*?from\s*(['"])([^'"]+)\1|(?:^|\n)\s*import\s*(['"])([^'"]+)\3|\bimport\s*\(\s*(['"])([^'"]+)\5\s*\)/g

/** The text with comments removed and every string and template literal emptied (import specifiers are read separately). */
function code (text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    const next = text[i + 1]
    if (c === '/' && next === '/') { while (i < text.length && text[i] !== '\n') i++; continue }
    if (c === '/' && next === '*') { const end = text.indexOf('*/', i + 2); i = end < 0 ? text.length : end + 2; out += ' '; continue }
    if (c === '"' || c === "'" || c === '`') {
      i++
      while (i < text.length && text[i] !== c) { if (text[i] === '\\') i++; i++ }
      i++
      out += c + c
      continue
    }
    out += c
    i++
  }
  return out
}

/** What makes `text` (a file named `name`) impure, one line per finding. */
function impurities (name: string, text: string): string[] {
  const found: string[] = []
  const stripped = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1')
  for (const m of stripped.matchAll(SPECIFIER)) {
    const spec = (m[2] ?? m[4] ?? m[6]) as string
    const bare = spec.replace(/^node:/, '')
    if ((spec.startsWith('node:') || builtinModules.includes(bare)) && NODE_ALLOWED[name] === undefined) found.push(`${name}: imports ${spec}`)
    if (/libp2p/.test(spec)) found.push(`${name}: imports ${spec} (libp2p)`)
    if (/^(level|classic-level|abstract-level|browser-level)(\/|$)/.test(spec)) found.push(`${name}: imports ${spec} (LevelDB)`)
  }
  const body = code(text)
  for (const [re, what] of AMBIENT) if (re.test(body)) found.push(`${name}: uses ${what}`)
  return found
}

describe('protocol/ purity', () => {
  const files = readdirSync(PROTOCOL).filter(f => f.endsWith('.ts'))

  it('every file of the core is free of I/O, ambient time and ambient randomness', () => {
    expect(files.length).toBeGreaterThan(30)
    expect(readdirSync(PROTOCOL, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name)).toEqual([]) // a subfolder would need reading too
    const found = files.flatMap(f => impurities(f, readFileSync(join(PROTOCOL, f), 'utf8')))
    expect(found).toEqual([])
  })

  it('the allow-list names files that exist and need it', () => {
    for (const name of Object.keys(NODE_ALLOWED)) {
      expect(files).toContain(name)
      expect(readFileSync(join(PROTOCOL, name), 'utf8')).toMatch(/from 'node:/)
    }
  })

  it('the check finds what it looks for, and not in comments or strings', () => {
    const bad = [
      "import { readFile } from 'node:fs/promises'",
      "import { createHash } from 'crypto'",
      "import type { Stream } from '@libp2p/interface'",
      "import { Level } from 'level'",
      'const t = Date.now()',
      'const m = performance.now()',
      'setTimeout(() => {}, 10)',
      'const r = Math.random()',
      'crypto.getRandomValues(new Uint8Array(4))',
      "const later = await import('node:timers')"
    ]
    for (const line of bad) expect(impurities('x.ts', line), line).not.toEqual([])
    const fine = [
      "// No Date.now(), setTimeout or Math.random here (they keep a core off simulated time)",
      "/* performance.now() is the daemon's */ const x = 1",
      "throw new Error('a Date in a message, setTimeout too')",
      'const s = `Math.random is not called here`',
      "import { x } from './dated.js'",
      'const updatedMs = 1; const toDate = 2'
    ]
    for (const line of fine) expect(impurities('x.ts', line), line).toEqual([])
  })
})
