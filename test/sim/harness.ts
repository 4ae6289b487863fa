// Shared set-up for the scripted scenario tests: a small cluster with a calm,
// lossless network unless a test says otherwise.
import { Cluster, type ClusterComponents, type ClusterInit } from '../../sim/cluster.js'
import { calmNetwork, type NetworkKnobs } from '../../sim/network.js'

export const CALM: NetworkKnobs = calmNetwork(20)

export function cluster (nodes: number, over: Partial<ClusterInit> = {}, components: ClusterComponents = {}): Cluster {
  return new Cluster({
    seed: 7,
    nodes,
    network: { ...CALM, ...over.network },
    fsyncMs: [1, 3],
    replica: {},
    collectTombstones: true,
    ...over
  }, components)
}

/** Settles with a generous budget; returns ms from now until agreement (undefined: never). */
export function settle (c: Cluster, budgetMs = 60_000): number | undefined {
  const start = c.now()
  const at = c.settle(budgetMs, 1500)
  return at === undefined ? undefined : at - start
}
