// What a V8 heap snapshot holds, by kind: self sizes summed per constructor (objects), per
// node type (arrays, code, native backing stores), and for strings per shape of their content
// (hex digests, peer ids, keys), with counts; per key when told how many keys the process held.
// A daemon's snapshot: MYCEL_BENCH_NODE_ARGS=--heapsnapshot-signal=SIGUSR2 on its start, then
// `kill -USR2 PID` (it writes Heap.*.heapsnapshot into its working directory).
//
//   node dist/tools/bench/heap-histogram.js FILE.heapsnapshot [KEYS] [--top 40] [--tree] [--path KIND]
// --path prints how the root reaches a few nodes of that kind (as the table names it, e.g.
// `Dirent` or `(string) hex digest (64)`): the shortest chain of edges, so whose they are.
// --tree prints the dominator tree down to nodes retaining at least 1 % of the heap: what would
// be freed with each (an object shared by two holders counts under their common dominator).
//
// Snapshots of a few hundred MiB of heap are larger than the longest string V8 parses, so the
// node and edge arrays are read as numbers straight from the file's bytes; only the header and
// the string table go through JSON.parse.

import { readFileSync } from 'node:fs'

interface Meta {
  node_fields: string[]
  node_types: [string[], ...string[]]
  edge_fields: string[]
  edge_types: [string[], ...string[]]
}

interface Snapshot { meta: Meta, nodes: Uint32Array, edges: Uint32Array, strings: string[] }

const COMMA = 0x2c
const CLOSE = 0x5d

function read (path: string): Snapshot {
  const buf = readFileSync(path)
  const nodesAt = buf.indexOf('"nodes":[')
  const head = JSON.parse(buf.toString('utf8', 0, nodesAt).replace(/,\s*$/, '') + '}') as { snapshot: { meta: Meta, node_count: number, edge_count: number } }
  const { meta, node_count: nodeCount, edge_count: edgeCount } = head.snapshot
  const nodes = new Uint32Array(nodeCount * meta.node_fields.length)
  let at = readNumbers(buf, nodesAt + '"nodes":['.length, nodes)
  const edgesAt = buf.indexOf('"edges":[', at)
  const edges = new Uint32Array(edgeCount * meta.edge_fields.length)
  at = readNumbers(buf, edgesAt + '"edges":['.length, edges)
  const stringsAt = buf.indexOf('"strings":[', at)
  const end = buf.lastIndexOf(']')
  const strings = JSON.parse(buf.toString('utf8', stringsAt + '"strings":'.length, end + 1)) as string[]
  return { meta, nodes, edges, strings }
}

/** Reads comma-separated unsigned integers into `out` until `]`; returns the index after it. */
function readNumbers (buf: Buffer, at: number, out: Uint32Array): number {
  let i = 0
  let n = 0
  let inNumber = false
  for (; at < buf.length; at++) {
    const c = buf[at] as number
    if (c >= 0x30 && c <= 0x39) { n = n * 10 + (c - 0x30); inNumber = true; continue }
    if (inNumber && (c === COMMA || c === CLOSE)) { out[i++] = n; n = 0; inNumber = false }
    if (c === CLOSE) break
  }
  if (i !== out.length) throw new Error(`read ${i} numbers, expected ${out.length}`)
  return at + 1
}

/** What a string node's content looks like. */
function stringShape (s: string): string {
  if (/^[0-9a-f]{64}$/.test(s)) return 'hex digest (64)'
  if (/^12D3Koo\w{45}$/.test(s)) return 'peer id'
  if (/^12D3Koo\w+:\d+$/.test(s)) return 'author:seq ref'
  if (/^k\/\d+$/.test(s) || /^m\w+\/\d+$/.test(s) || /^p\/\d+$/.test(s)) return 'user key'
  if (/^e!/.test(s)) return 'store key'
  return s.length <= 16 ? 'other, ≤ 16 chars' : 'other, longer'
}

/** The row a node counts in (node index `i` into the nodes array). */
function kindOf (snap: Snapshot, i: number): string {
  const { meta, nodes, strings } = snap
  const type = meta.node_types[0][nodes[i + meta.node_fields.indexOf('type')] as number] as string
  const name = strings[nodes[i + meta.node_fields.indexOf('name')] as number] ?? ''
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return `(string) ${stringShape(name)}`
  if (type === 'object' || type === 'closure' || type === 'regexp') return `${type === 'object' ? '' : `(${type}) `}${name}`
  if (type === 'native' || type === 'hidden' || type === 'array' || type === 'synthetic') return `(${type}) ${name.replace(/\d+/g, 'N').slice(0, 60)}`
  return `(${type})`
}

function histogram (snap: Snapshot): Map<string, { count: number, bytes: number }> {
  const { meta, nodes } = snap
  const f = meta.node_fields.length
  const sizeAt = meta.node_fields.indexOf('self_size')
  const out = new Map<string, { count: number, bytes: number }>()
  for (let i = 0; i < nodes.length; i += f) {
    const kind = kindOf(snap, i)
    const size = nodes[i + sizeAt] as number
    const row = out.get(kind) ?? { count: 0, bytes: 0 }
    row.count++
    row.bytes += size
    out.set(kind, row)
  }
  return out
}

/** Shortest chains of edges from the root to the first `count` nodes of `kind` (weak edges left out). */
function paths (snap: Snapshot, kind: string, count: number): string[] {
  const { meta, nodes, edges, strings } = snap
  const f = meta.node_fields.length
  const ef = meta.edge_fields.length
  const edgeCountAt = meta.node_fields.indexOf('edge_count')
  const nameAt = meta.node_fields.indexOf('name')
  const edgeTypes = meta.edge_types[0]
  const n = nodes.length / f
  const firstEdge = new Uint32Array(n + 1)
  for (let i = 0; i < n; i++) firstEdge[i + 1] = (firstEdge[i] as number) + (nodes[i * f + edgeCountAt] as number) * ef
  const parent = new Int32Array(n).fill(-1)
  const via = new Uint32Array(n)
  const queue = new Uint32Array(n)
  let head = 0
  let tail = 0
  queue[tail++] = 0
  parent[0] = 0
  const found: number[] = []
  while (head < tail && found.length < count) {
    const node = queue[head++] as number
    for (let e = firstEdge[node] as number; e < (firstEdge[node + 1] as number); e += ef) {
      if (edgeTypes[edges[e] as number] === 'weak') continue
      const to = (edges[e + 2] as number) / f
      if (parent[to] !== -1) continue
      parent[to] = node
      via[to] = e
      queue[tail++] = to
      if (kindOf(snap, to * f) === kind && found.length < count) found.push(to)
    }
  }
  return found.map(target => {
    const chain: string[] = []
    for (let at = target; at !== 0; at = parent[at] as number) {
      const e = via[at] as number
      const type = edgeTypes[edges[e] as number]
      const edgeName = type === 'element' || type === 'hidden' ? `[${edges[e + 1] as number}]` : strings[edges[e + 1] as number]
      chain.push(`${edgeName} → ${kindOf(snap, at * f)} ${(strings[nodes[at * f + nameAt] as number] ?? '').slice(0, 24)}`)
    }
    return chain.reverse().join('\n    ')
  })
}

/** Immediate dominators (Cooper, Harvey, Kennedy: iterate over reverse postorder to a fixed point), weak edges left out. */
function dominators (snap: Snapshot): { idom: Int32Array, retained: Float64Array, via: Uint32Array } {
  const { meta, nodes, edges } = snap
  const f = meta.node_fields.length
  const ef = meta.edge_fields.length
  const edgeCountAt = meta.node_fields.indexOf('edge_count')
  const sizeAt = meta.node_fields.indexOf('self_size')
  const weak = meta.edge_types[0].indexOf('weak')
  const n = nodes.length / f
  const firstEdge = new Uint32Array(n + 1)
  for (let i = 0; i < n; i++) firstEdge[i + 1] = (firstEdge[i] as number) + (nodes[i * f + edgeCountAt] as number) * ef
  const strong = (e: number): boolean => edges[e] !== weak
  // Postorder by an explicit stack; `via` is the edge a node was first reached by (for labels).
  const order = new Int32Array(n).fill(-1)
  const post: number[] = []
  const via = new Uint32Array(n)
  const stack = new Uint32Array(n)
  const next = new Uint32Array(n)
  let sp = 0
  stack[sp++] = 0
  next[0] = firstEdge[0] as number
  order[0] = -2
  while (sp > 0) {
    const v = stack[sp - 1] as number
    const e = next[v] as number
    if (e < (firstEdge[v + 1] as number)) {
      next[v] = e + ef
      const w = (edges[e + 2] as number) / f
      if (strong(e) && order[w] === -1) { order[w] = -2; via[w] = e; next[w] = firstEdge[w] as number; stack[sp++] = w }
      continue
    }
    sp--
    order[v] = post.length
    post.push(v)
  }
  // Predecessors (strong edges between reached nodes), as CSR.
  const predCount = new Uint32Array(n + 1)
  for (let v = 0; v < n; v++) {
    if (order[v] < 0) continue
    for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += ef) {
      const w = (edges[e + 2] as number) / f
      if (strong(e) && (order[w] as number) >= 0) predCount[w + 1]++
    }
  }
  for (let i = 0; i < n; i++) predCount[i + 1] += predCount[i] as number
  const preds = new Uint32Array(predCount[n] as number)
  const fill = predCount.slice(0, n)
  for (let v = 0; v < n; v++) {
    if (order[v] < 0) continue
    for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += ef) {
      const w = (edges[e + 2] as number) / f
      if (strong(e) && (order[w] as number) >= 0) preds[fill[w]++] = v
    }
  }
  const idom = new Int32Array(n).fill(-1)
  idom[0] = 0
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while ((order[a] as number) < (order[b] as number)) a = idom[a] as number
      while ((order[b] as number) < (order[a] as number)) b = idom[b] as number
    }
    return a
  }
  for (let changed = true; changed;) {
    changed = false
    for (let k = post.length - 2; k >= 0; k--) {
      const v = post[k] as number
      let d = -1
      for (let p = predCount[v] as number; p < (predCount[v + 1] as number); p++) {
        const u = preds[p] as number
        if (idom[u] === -1) continue
        d = d === -1 ? u : intersect(u, d)
      }
      if (d !== -1 && idom[v] !== d) { idom[v] = d; changed = true }
    }
  }
  const retained = new Float64Array(n)
  for (const v of post) retained[v] += nodes[v * f + sizeAt] as number
  for (const v of post) if (v !== 0) retained[idom[v] as number] += retained[v] as number
  return { idom, retained, via }
}

function tree (snap: Snapshot, keys: number): void {
  const { meta, nodes, edges, strings } = snap
  const f = meta.node_fields.length
  const nameAt = meta.node_fields.indexOf('name')
  const edgeTypes = meta.edge_types[0]
  const { idom, retained, via } = dominators(snap)
  const total = retained[0] as number
  const children = new Map<number, number[]>()
  // Children too small to show alone, summed per kind under their dominator: a million Events, each
  // dominated by the root, show as one row.
  const small = new Map<number, Map<string, { count: number, bytes: number }>>()
  for (let v = 1; v < idom.length; v++) {
    const d = idom[v] as number
    if (d < 0) continue
    if ((retained[v] as number) < total / 100) {
      const groups = small.get(d) ?? new Map<string, { count: number, bytes: number }>()
      const kind = kindOf(snap, v * f)
      const g = groups.get(kind) ?? { count: 0, bytes: 0 }
      g.count++
      g.bytes += retained[v] as number
      groups.set(kind, g)
      small.set(d, groups)
      continue
    }
    const list = children.get(d) ?? []
    list.push(v)
    children.set(d, list)
  }
  const edgeName = (v: number): string => {
    const e = via[v] as number
    const type = edgeTypes[edges[e] as number]
    return type === 'element' || type === 'hidden' ? `[${edges[e + 1] as number}]` : String(strings[edges[e + 1] as number])
  }
  process.stdout.write(`\ndominator tree, nodes retaining ≥ 1 % of ${(total / 2 ** 20).toFixed(1)} MiB (MiB, bytes/key):\n`)
  const walk = (v: number, depth: number): void => {
    for (const c of (children.get(v) ?? []).sort((a, b) => (retained[b] as number) - (retained[a] as number))) {
      const name = (strings[nodes[c * f + nameAt] as number] ?? '').slice(0, 30)
      const r = retained[c] as number
      process.stdout.write(`${'  '.repeat(depth)}${edgeName(c)} → ${kindOf(snap, c * f)}${name === '' || kindOf(snap, c * f).endsWith(name) ? '' : ` ${name}`}: ${(r / 2 ** 20).toFixed(1)}${Number.isFinite(keys) ? `, ${(r / keys).toFixed(0)}` : ''}\n`)
      if (depth < 40) walk(c, depth + 1)
    }
    for (const [kind, g] of [...small.get(v) ?? []].sort((a, b) => b[1].bytes - a[1].bytes)) {
      if (g.bytes < total / 100) continue
      process.stdout.write(`${'  '.repeat(depth)}${g.count} × ${kind}, each alone: ${(g.bytes / 2 ** 20).toFixed(1)}${Number.isFinite(keys) ? `, ${(g.bytes / keys).toFixed(0)}` : ''}\n`)
    }
  }
  walk(0, 0)
}

const args = process.argv.slice(2)
const file = args[0]
if (file === undefined) {
  process.stderr.write('usage: node dist/tools/bench/heap-histogram.js FILE.heapsnapshot [KEYS] [--top 40]\n')
  process.exit(2)
}
const keys = Number(args[1] ?? NaN)
const topAt = args.indexOf('--top')
const top = topAt < 0 ? 40 : Number(args[topAt + 1])
const snap = read(file)
const rows = [...histogram(snap)].sort((a, b) => b[1].bytes - a[1].bytes)
const total = rows.reduce((s, [, r]) => s + r.bytes, 0)
process.stdout.write(`${snap.nodes.length / snap.meta.node_fields.length} nodes, ${(total / 2 ** 20).toFixed(1)} MiB of self sizes\n`)
process.stdout.write(`| kind | count | MiB | bytes/key | count/key |\n|---|---|---|---|---|\n`)
for (const [kind, r] of rows.slice(0, Number.isFinite(top) && top >= 0 ? top : 40)) {
  const per = Number.isFinite(keys) ? (r.bytes / keys).toFixed(0) : ''
  const countPer = Number.isFinite(keys) ? (r.count / keys).toFixed(2) : ''
  process.stdout.write(`| ${kind.replace(/\|/g, '\\|')} | ${r.count} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${per} | ${countPer} |\n`)
}
if (args.includes('--tree')) tree(snap, keys)
const pathAt = args.indexOf('--path')
if (pathAt >= 0) {
  const kind = args[pathAt + 1] ?? ''
  for (const p of paths(snap, kind, 3)) process.stdout.write(`\n${kind}, held by:\n    ${p}\n`)
}
