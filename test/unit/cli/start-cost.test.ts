// What every `mycel` command loads before it runs (issue #22, cli-start-ms): the static imports of
// cli/main.ts and cli/process-main.ts, followed from file to file. No npm package (libp2p, LevelDB, CBOR: a command
// that needs one imports it when it runs, as `daemon` and `sim` do), and node:http, node:crypto and
// node:child_process only through cli/builtins.ts (an ES import of node:http loads undici, ~60 ms).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..')
// Static value imports only: `import type` and `import(...)` load nothing at start.
const STATIC_IMPORT = /(?:^|\n)\s*import\s+(?!type\s)(?:[^'"]*?\sfrom\s*)?['"]([^'"]+)['"]/g

function closure (entry: string): { files: string[], external: Map<string, string[]> } {
  const files = new Set<string>()
  const external = new Map<string, string[]>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1] as string
      if (spec.startsWith('.')) {
        const target = join(dirname(file), spec).replace(/\.js$/, '.ts')
        if (existsSync(target)) visit(target)
      } else {
        const from = relative(ROOT, file)
        external.set(spec, [...(external.get(spec) ?? []), from])
      }
    }
  }
  visit(join(ROOT, entry))
  return { files: [...files].map(f => relative(ROOT, f)), external }
}

describe('what a mycel command loads before it runs', () => {
  // main.ts (which gives a command its node flags) and, loaded by it once the version is checked, process-main.ts.
  const [entry, cli] = [closure('cli/main.ts'), closure('cli/process-main.ts')]
  const files = [...new Set([...entry.files, ...cli.files])]
  const external = new Map(cli.external)
  for (const [spec, from] of entry.external) external.set(spec, [...(external.get(spec) ?? []), ...from])

  it('no npm package', () => {
    expect([...external.keys()].filter(spec => !spec.startsWith('node:'))).toEqual([])
  })

  it('node:http, node:crypto and node:child_process only through cli/builtins.ts (require, not an ES import)', () => {
    for (const heavy of ['node:http', 'node:crypto', 'node:child_process']) expect(external.get(heavy) ?? []).toEqual([])
    expect(files).toContain('cli/builtins.ts')
  })

  it('no command\'s module: each is loaded when it runs (commands/index.ts)', () => {
    expect(files.filter(f => f.startsWith('cli/commands/') && f !== 'cli/commands/index.ts')).toEqual([])
  })

  it('neither the simulator nor the daemon runtime', () => {
    expect(files.filter(f => /^sim\/(run|cluster|scenarios|sweep|report)/.test(f) || /^daemon\/(runtime|daemon|net\/)/.test(f))).toEqual([])
    expect(files.length).toBeLessThan(70)
  })
})
