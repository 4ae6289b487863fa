// The house's load-bearing walls, checked on every run: the relative imports of
// every source file under protocol/ daemon/ cli/ sim/ tools/ form no cycle
// between files, and no folder imports a folder that imports it back.
//
// A folder is a directory. One allowance, for a folder and a folder inside it:
// a folder's root files compose its subfolders (daemon.ts starts api/, net/…)
// and also hold the ground they stand on (log.ts, limits.ts). A subfolder may
// import such a ground file as long as that file never leads back into the
// subfolder (directly or through other files): a two-way tie only through files
// that do lead back is reported like any other.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const ROOMS = ['protocol', 'daemon', 'cli', 'sim', 'tools']

const IMPORT_FROM = /(?:^|\n)\s*(?:import|export)\s[^'"]*?\sfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g
const IMPORT_BARE = /(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g
const IMPORT_DYNAMIC = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

function sourceFiles (dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sourceFiles(path, out)
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Repo-relative path (with /) → the repo-relative files it imports. */
function importGraph (): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const files = ROOMS.flatMap(room => sourceFiles(join(ROOT, room)))
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const targets = new Set<string>()
    for (const re of [IMPORT_FROM, IMPORT_BARE, IMPORT_DYNAMIC]) {
      for (const m of text.matchAll(re)) {
        const target = normalize(join(dirname(file), m[1] as string))
        const ts = target.replace(/\.js$/, '.ts')
        targets.add(rel(existsSync(ts) ? ts : target))
      }
    }
    graph.set(rel(file), [...targets])
  }
  return graph
}

function rel (path: string): string {
  return relative(ROOT, path).split(sep).join('/')
}

function folderOf (file: string): string {
  return file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.'
}

function isInside (folder: string, ancestor: string): boolean {
  return folder.startsWith(ancestor + '/')
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function fileCycles (graph: Map<string, string[]>): string[][] {
  let index = 0
  const stack: string[] = []
  const onStack = new Set<string>()
  const indexOf = new Map<string, number>()
  const low = new Map<string, number>()
  const cycles: string[][] = []
  const visit = (v: string): void => {
    indexOf.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!indexOf.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, indexOf.get(w) as number))
      }
    }
    if (low.get(v) !== indexOf.get(v)) return
    const scc: string[] = []
    let w: string
    do {
      w = stack.pop() as string
      onStack.delete(w)
      scc.push(w)
    } while (w !== v)
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort())
  }
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v)
  return cycles
}

/** Every file reachable from `file` (itself included). */
function reach (graph: Map<string, string[]>, file: string): Set<string> {
  const seen = new Set<string>([file])
  const todo = [file]
  while (todo.length > 0) {
    for (const next of graph.get(todo.pop() as string) ?? []) {
      if (!seen.has(next)) { seen.add(next); todo.push(next) }
    }
  }
  return seen
}

/** "A ⇄ B" for every two folders that import each other, with one import each way as the example. */
function folderTies (graph: Map<string, string[]>): string[] {
  // folder → folder → the (from, to) file imports behind that edge
  const edges = new Map<string, Map<string, Array<[string, string]>>>()
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const a = folderOf(from)
      const b = folderOf(to)
      if (a === b) continue
      const out = edges.get(a) ?? new Map<string, Array<[string, string]>>()
      edges.set(a, out)
      out.set(b, [...(out.get(b) ?? []), [from, to]])
    }
  }
  const leadsBackInto = (file: string, folder: string): boolean => [...reach(graph, file)].some(f => folderOf(f) === folder)
  /** The imports from `a` into `b` that count: into an enclosing folder, only those of files leading back into `a`. */
  const counted = (a: string, b: string): Array<[string, string]> => {
    const all = edges.get(a)?.get(b) ?? []
    return isInside(a, b) ? all.filter(([, to]) => leadsBackInto(to, a)) : all
  }
  const ties: string[] = []
  for (const a of edges.keys()) {
    for (const b of edges.get(a)?.keys() ?? []) {
      if (a > b) continue
      const there = counted(a, b)
      const back = counted(b, a)
      if (there.length === 0 || back.length === 0) continue
      ties.push(`${a} ⇄ ${b}: ${there[0]?.join(' → ')} and ${back[0]?.join(' → ')}`)
    }
  }
  return ties.sort()
}

describe('architecture: the import graph', () => {
  const graph = importGraph()

  it('reads the source rooms', () => {
    expect(graph.size).toBeGreaterThan(100)
    expect([...graph.keys()].some(f => f.startsWith('daemon/net/'))).toBe(true)
  })

  it('has no import cycle between files', () => {
    expect(fileCycles(graph)).toEqual([])
  })

  it('has no two folders that import each other', () => {
    expect(folderTies(graph)).toEqual([])
  })
})
