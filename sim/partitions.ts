// Partitions of named shapes (Jepsen's nemesis vocabulary). A partition is a
// pure function of two node indexes: may a packet cross from one to the other?
// Shapes are drawn once from the fault PRNG when planned, so the printed plan
// is exactly what runs.
//
//   halves   two random halves, no traffic between them
//   isolate  one node cut from everyone
//   minority fewer than half the nodes cut from the rest
//   ring     nodes on a random ring each see the ⌈N/4⌉ nearest on either side:
//            every node is in a majority, no two majorities are the same
//   bridge   two halves that only meet through one bridge node

import type { Prng } from './prng.js'

export type PartitionShape = 'halves' | 'isolate' | 'minority' | 'ring' | 'bridge'

export const PARTITION_SHAPES: readonly PartitionShape[] = ['halves', 'isolate', 'minority', 'ring', 'bridge']

export interface Partition {
  shape: PartitionShape | 'custom'
  /** side[i]: which group node i is in (ring: its position on the ring). */
  side: number[]
  /** For `bridge`, the node that talks to both sides. */
  bridge?: number
  /** For `ring`, how far round the ring a node can still reach. */
  reach?: number
  /** One line for the knob printout. */
  summary: string
}

export function planPartition (shape: PartitionShape, nodes: number, random: Prng): Partition {
  const order = random.sample(nodes, nodes)
  const side = new Array<number>(nodes).fill(0)
  switch (shape) {
    case 'halves': {
      const half = Math.floor(nodes / 2)
      order.forEach((n, i) => { side[n] = i < half ? 1 : 0 })
      return { shape, side, summary: `halves ${half}|${nodes - half}` }
    }
    case 'isolate': {
      const n = order[0] as number
      side[n] = 1
      return { shape, side, summary: `isolate n${n}` }
    }
    case 'minority': {
      const size = Math.max(1, Math.floor((nodes - 1) / 2))
      order.slice(0, size).forEach(n => { side[n] = 1 })
      return { shape, side, summary: `minority ${size} of ${nodes}` }
    }
    case 'ring': {
      order.forEach((n, pos) => { side[n] = pos })
      const reach = Math.ceil(nodes / 4)
      return { shape, side, reach, summary: `ring reach ±${reach} of ${nodes}` }
    }
    case 'bridge': {
      const bridge = order[0] as number
      const rest = order.slice(1)
      const half = Math.floor(rest.length / 2)
      rest.forEach((n, i) => { side[n] = i < half ? 1 : 2 })
      side[bridge] = 0
      return { shape, side, bridge, summary: `bridge n${bridge} joins ${half}|${rest.length - half}` }
    }
  }
}

/** An explicit partition for scripted scenarios: `groups` are cut from each other and from everyone unlisted. */
export function groupsPartition (nodes: number, groups: number[][]): Partition {
  const side = new Array<number>(nodes).fill(0)
  groups.forEach((g, i) => g.forEach(n => { side[n] = i + 1 }))
  return { shape: 'custom', side, summary: groups.map(g => `[${g.join(',')}]`).join(' | ') + ' | rest' }
}

/** May a packet travel between a and b under partition p? (Symmetric.) */
export function partitionAllows (p: Partition, a: number, b: number): boolean {
  // Nodes that joined after the partition was drawn sit on side 0 / outside the ring.
  const sa = p.side[a] ?? 0
  const sb = p.side[b] ?? 0
  if (p.shape === 'ring') {
    const n = p.side.length
    if (a >= n || b >= n) return true
    const d = Math.abs(sa - sb)
    return Math.min(d, n - d) <= (p.reach ?? 0)
  }
  if (p.shape === 'bridge' && (a === p.bridge || b === p.bridge)) return true
  return sa === sb
}
