// 4. Small-artifact publish rate through the local API: 10 000 × 1 KiB
// (quick: 1 000), PUT /v1/keys/KEY with PUBLISH_IN_FLIGHT requests at a time.
// Each publish is acknowledged only once its blob and its LevelDB batch are
// fsynced, so this measures the disk's fsync rate as much as the daemon.
// Also reports the daemon's peak RSS (6).

import { peakRssMib, publishMany, startNode } from './procs.js'
import { result, type Benchmark } from './result.js'

/** Requests in flight: enough for LevelDB group commit to batch fsyncs, under the API's 64-connection cap. */
const PUBLISH_IN_FLIGHT = 32
const ONE_KIB = 'x'.repeat(1024)

export const publishBench: Benchmark = {
  id: 'publish',
  title: 'publish rate, 1 KiB artifacts through the API',
  names: ['publish-1kib-per-s', 'publish-1kib-rss-mib'],
  async run (ctx) {
    const count = ctx.quick ? 1000 : 10_000
    const node = await startNode()
    try {
      ctx.say(`publishing ${count} × 1 KiB`)
      const seconds = await publishMany(node, 'p', count, PUBLISH_IN_FLIGHT, i => `${i}\n${ONE_KIB}`.slice(0, 1024))
      const note = `${count} × 1 KiB, ${PUBLISH_IN_FLIGHT} in flight`
      return [
        result('publish-1kib-per-s', count / seconds, 'publishes/s', { note }),
        result('publish-1kib-rss-mib', await peakRssMib(node), 'MiB', { note: 'peak RSS of the daemon' })
      ]
    } finally {
      await node.destroy()
    }
  }
}
