// Who links to whom, and whether each link is up.
//
// Up to FULL_MESH_MAX nodes every pair is linked; beyond, each node links to
// its ring neighbours and RANDOM_LINKS random others (symmetric), a bounded
// neighbour set as a real connection manager keeps. A link is "up" (the
// replicas at both ends were told peerUp) while both ends are alive, no
// partition or flapping separates them, and each end's gate allows the other
// (allowLink: the daemon's membership gate; the scenarios allow every link).
// refresh() applies a changed gate, as the daemon's mesh does.

import { FULL_MESH_MAX, RANDOM_LINKS } from './limits.js'
import type { Network } from './network.js'
import type { SimNode } from './node.js'
import type { Prng } from './prng.js'

export interface TopologyComponents {
  /** The cluster's nodes, by index (the array grows as nodes join). */
  nodes: readonly SimNode[]
  network: Network
  /** Draws the random links, at the start and for each joiner. */
  random: Prng
  /** Does node `self` allow a session with node `peer`? */
  allowLink: (self: number, peer: number) => boolean
}

export class Topology {
  constructor (private readonly c: TopologyComponents) {}

  /** Links the initial nodes. */
  build (): void {
    const nodes = this.c.nodes
    const n = nodes.length
    if (n <= FULL_MESH_MAX) {
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) this.link(a, b)
      return
    }
    for (let a = 0; a < n; a++) {
      this.link(a, (a + 1) % n)
      for (let k = 0; k < RANDOM_LINKS; k++) {
        const b = this.c.random.int(n)
        if (b !== a) this.link(a, b)
      }
    }
    for (const node of nodes) node.neighbours.sort((x, y) => x - y)
  }

  /** The members (node indexes) a joiner links to: all of them in a small federation, else a random few. */
  linksForJoiner (members: number[]): number[] {
    return members.length <= FULL_MESH_MAX ? members : this.c.random.sample(members.length, RANDOM_LINKS + 2).map(k => members[k] as number)
  }

  link (a: number, b: number): void {
    const na = this.node(a)
    const nb = this.node(b)
    if (na.neighbours.includes(b)) return
    na.neighbours.push(b)
    nb.neighbours.push(a)
  }

  /** Brings every replica's view of its links in line with who is alive and what the network allows. */
  refresh (changed: Iterable<SimNode>): void {
    for (const a of changed) {
      for (const j of a.neighbours) {
        const b = this.node(j)
        const want = a.alive() && b.alive() && this.c.network.connected(a.index, b.index) && this.gateAllows(a.index, b.index)
        this.setView(a, b, want)
        this.setView(b, a, want)
      }
    }
  }

  /** Both ends' gates allow a session between a and b. */
  gateAllows (a: number, b: number): boolean {
    return this.c.allowLink(a, b) && this.c.allowLink(b, a)
  }

  private node (i: number): SimNode { return this.c.nodes[i] as SimNode }

  /** A paused node learns of link changes when it resumes (resume refreshes its links). */
  private setView (self: SimNode, peer: SimNode, up: boolean): void {
    if (self.status !== 'up') return
    if (up) self.peerUp(peer)
    else self.peerDown(peer)
  }
}
