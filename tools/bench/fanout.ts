// Sites mirroring a new blob at once (docs/blobs.md, "Sites mirroring at once"): an origin whose
// uplink is capped at 10 MB/s (`--max-upload-rate 10M`) publishes 64 MiB (quick: 16 MiB); two
// members mirror it eagerly. Reports how many copies of the blob the origin sent (2.0 if each
// mirror took every chunk from it) and how long until both held it, against the time the origin
// needs to send one copy.

import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cli, Node, until } from '../../test/helpers/daemons.js'
import { MIB, result, type Benchmark } from './result.js'

const RATE_BYTES_PER_S = 10_000_000

interface BlobStatus { local: string, transfer?: { holders: Record<string, { chunks: number, partialChunks?: number }> } }

export const fanoutBench: Benchmark = {
  id: 'fanout',
  title: 'two eager mirrors of a capped origin',
  names: ['fanout-origin-copies', 'fanout-both-s', 'fanout-one-copy-s'],
  async run (ctx) {
    const size = (ctx.quick ? 16 : 64) * MIB
    const nodes: Node[] = []
    try {
      const a = await Node.create(); const b = await Node.create(); const c = await Node.create()
      nodes.push(a, b, c)
      await a.start(['--max-upload-rate', String(RATE_BYTES_PER_S), '--log-level', 'warn'])
      const token = await a.invite({ uses: 2 })
      await Promise.all([b, c].map(async n => await n.start(['--join', token, '--log-level', 'warn'])))
      await until('the mirrors connected to each other', async () =>
        (await c.api<{ peers: Array<{ peerId: string }> }>('GET', '/v1/status')).body.peers.some(p => p.peerId === b.ready?.peerId))
      const path = join(a.dir, 'fanout.bin')
      await writeFile(path, randomBytes(size))
      const published = await cli(['publish', path, 'bench/fanout.bin', '--dir', a.dir, '--json'])
      if (published.code !== 0) throw new Error(`publish failed: ${published.stdout}${published.stderr}`)
      const digest = (JSON.parse(published.stdout) as { digest: string }).digest
      const started = performance.now()
      const status = async (n: Node): Promise<BlobStatus> => (await n.api<BlobStatus>('GET', `/v1/blobs/${digest}`)).body
      await until('both mirrors hold the blob', async () => (await status(b)).local === 'complete' && (await status(c)).local === 'complete', 600_000, 50)
      const seconds = (performance.now() - started) / 1000
      const chunks = Math.ceil(size / MIB)
      let fromOrigin = 0
      for (const n of [b, c]) {
        const holders = (await status(n)).transfer?.holders ?? {}
        const own = holders[a.ready?.peerId as string]?.chunks ?? 0
        fromOrigin += own
        ctx.say(`mirror ${n === b ? 'B' : 'C'}: ${own} chunks from the origin, ${chunks - own} from the other mirror`)
      }
      const note = `${size / MIB} MiB, 1 MiB chunks, origin at --max-upload-rate 10M`
      return [
        result('fanout-origin-copies', fromOrigin / chunks, 'copies', { note: `${note}; 2.0 if each mirror took all from the origin` }),
        result('fanout-both-s', seconds, 's', { note }),
        result('fanout-one-copy-s', size / RATE_BYTES_PER_S, 's', { note: 'the time the origin needs to send one copy at the cap: what fanout-both-s approaches (the cap lets a one-second burst through first)' })
      ]
    } finally {
      await Promise.all(nodes.map(async n => { await n.destroy() }))
    }
  }
}
