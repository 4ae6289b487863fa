// Where `mycel fetch -o FILE` of bytes not here spends its time (#22, fetch-e2e): A publishes SIZE MiB,
// a fresh on-demand member F joins; then, in turn, F's daemon fetches the blob (timed through
// `GET /v1/blobs/<key>?wait=S`, which answers once it holds the bytes verified), `mycel fetch -o` of the
// bytes F now holds (the copy and its fsync), and `cp` + `sync` of that file for comparison.
//   node dist/tools/bench/fetch-steps.js [MiB=1024]
import { join } from 'node:path'
import { MAIN, Node, until } from '../../test/helpers/daemons.js'
import { randomFile, timeFetch } from './bench-blob.js'
import { timed } from './timed.js'

const size = Number(process.argv[2] ?? 1024) * 1024 * 1024
const a = await Node.create()
const f = await Node.create({ replicate: 'on-demand' })
try {
  await a.start(['--log-level', 'warn'])
  await f.start(['--join', await a.invite(), '--log-level', 'warn'])
  await randomFile(join(a.dir, 'src.bin'), size)
  timed(process.execPath, [MAIN, 'publish', join(a.dir, 'src.bin'), 'steps/blob', '--dir', a.dir])
  await until('F has the key', async () => (await f.keys()).some(k => k.key === 'steps/blob'), 30_000)
  const fetchMs = await timeFetch(f, 'steps/blob')
  const copyMs = timed(process.execPath, [MAIN, 'fetch', 'steps/blob', '-o', join(f.dir, 'out.bin'), '--dir', f.dir])
  const cpMs = timed('sh', ['-c', `cp ${join(f.dir, 'out.bin')} ${join(f.dir, 'cp.bin')} && sync`])
  console.log(`${size / 1024 / 1024} MiB: the daemon's fetch ${fetchMs.toFixed(0)} ms; then mycel fetch -o of the held bytes ${copyMs.toFixed(0)} ms; cp + sync ${cpMs.toFixed(0)} ms`)
} finally {
  await Promise.all([a.destroy(), f.destroy()])
}
process.exit()
