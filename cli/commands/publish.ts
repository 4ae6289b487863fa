// `mycel publish`: streams a file to the daemon under a key (PUT /v1/keys/<key>).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { PublishResult } from '../../daemon/api/contract.js'
import { ProgressLine, transferText } from '../progress-line.js'
import { drawsProgress } from '../terminal.js'
import { client, printJson, wantsJson } from './shared.js'
import { stageFile } from './stage-file.js'
import { MycelError } from '../../protocol/errors.js'
import { barrierText, checkBarrierNames, checkFactor, parsePublishReplicas, parseSites, parseTimeout, waitBarrier, type Barrier, type BarrierState } from '../wait-replicas.js'

export const publish: Command = {
  name: 'publish',
  summary: 'store FILE under KEY and replicate its metadata to every member',
  positionals: [
    { name: 'FILE', description: 'the file to publish; - reads the bytes from stdin', path: 'file' },
    { name: 'KEY', description: 'name in the federation, e.g. builds/app-1.2.tar.gz' }
  ],
  options: {
    prop: { type: 'string', multiple: true, value: 'k=v', description: 'a property stored with the key' },
    'wait-replicas': { type: 'string', value: 'N|all|factor', description: 'return only once N members hold verified bytes, all that mirror the key (eager sites), or as many as the key\'s replication factor (a rules replicas N); exit 6 on timeout' },
    'wait-sites': { type: 'string', multiple: true, value: 'NAME,...', description: 'return only once these sites hold verified bytes; exit 6 on timeout' },
    'wait-group': { type: 'string', multiple: true, value: 'GROUP', description: 'return only once every site in GROUP holds verified bytes; exit 6 on timeout' },
    timeout: { type: 'string', value: 'DURATION', description: 'how long the --wait-* barrier waits, e.g. 60s, 2m (a bare number is seconds)', default: '60s' },
    link: { type: 'boolean', description: 'hard-link FILE into the store instead of copying it (same file system; do not change FILE afterwards)' }
  },
  details: 'Returns once the write is durable on this node; other members learn of it by push and anti-entropy.\nFILE - reads the bytes from stdin (e.g. tar c dir | mycel publish - builds/dir.tar), sent as they come.\nWhen stderr is a terminal a progress line (bytes, rate) is drawn there while the bytes stream to the daemon.\nOn the daemon\'s machine FILE is copied into its data dir in the kernel (a reflink or copy_file_range)\nand taken from there, not streamed (--json: "via": "copy"); --link hard-links it instead ("link");\nelsewhere, or for a pipe, the bytes are uploaded ("upload").\nUnder an immutable rule (docs/rules.md) other bytes than the key holds are refused: exit 7 (CONFLICT),\nnaming the digest it holds; the same bytes again change nothing ("unchanged": true).\nIf another write of the key wins while a --wait-* barrier waits (a concurrent publish elsewhere), exit 7.\n--wait-replicas factor waits for the replication factor of KEY\'s rule (mycel rules): until that many sites hold verified bytes, the sites placement chose named as missing; a KEY no replicas rule covers is a usage error (exit 2), before anything is published.\n--wait-replicas, --wait-sites and --wait-group combine (all must hold); a live line shows who holds the bytes and who is missing. On timeout the key stays published: exit 6, "published KEY, but N of M sites hold it; missing: ...". With --json the result carries barrier { met, required, holding, missing }.',
  async run (ctx) {
    const [file, key] = ctx.positionals
    const props = (ctx.options.prop as string[] | undefined) ?? []
    const barrier: Barrier = {
      ...(ctx.options['wait-replicas'] === undefined ? {} : { replicas: parsePublishReplicas(ctx.options['wait-replicas'] as string) }),
      sites: parseSites((ctx.options['wait-sites'] as string[] | undefined) ?? []),
      groups: (ctx.options['wait-group'] as string[] | undefined) ?? []
    }
    const waits = barrier.replicas !== undefined || (barrier.sites?.length ?? 0) > 0 || (barrier.groups?.length ?? 0) > 0
    const timeoutMs = parseTimeout((ctx.options.timeout as string | undefined) ?? '60s')
    const api = await client(ctx)
    await checkBarrierNames(api, barrier)
    if (barrier.replicas === 'factor') await checkFactor(api, key)
    const started = Date.now()
    const line = drawsProgress(ctx) ? new ProgressLine(ctx.err) : undefined
    const linkIt = ctx.options.link === true
    if (linkIt && file === '-') throw MycelError.usage('--link needs a file, not - (stdin)')
    // On the daemon's machine: the file goes into its data dir in the kernel (stage-file.ts), not through HTTP.
    const drawSent = line === undefined ? undefined : (done: number, total: number | undefined): void => { line.draw(`${transferText(done, total, (Date.now() - started) / 1000)}  to the daemon `, done === total) }
    const staged = file === '-' ? undefined : await stageFile(api.dir, file, linkIt, drawSent).catch((err: unknown) => { line?.clear(); throw err })
    const body = staged !== undefined ? {} : file === '-' ? { uploadStream: ctx.stdin ?? process.stdin } : { uploadFile: file }
    let result: PublishResult
    try {
      result = await api.call<PublishResult>('PUT', `/v1/keys/${encodeURIComponent(key)}`, {
        query: [...props.map(p => ['prop', p] as [string, string]), ...(staged === undefined ? [] : [['staged', staged.name] as [string, string]])],
        ...body,
        onUpload: staged !== undefined ? undefined : drawSent
      })
    } catch (err) {
      await staged?.drop() // refused before the daemon took it (a reader, a bad key): nothing left behind
      throw err
    } finally {
      line?.clear()
    }
    const via = staged?.via ?? 'upload'
    let state: BarrierState | undefined
    if (waits) {
      const live = drawsProgress(ctx) ? new ProgressLine(ctx.err) : undefined
      try {
        state = await waitBarrier(api, key, result.digest, barrier, timeoutMs, s => { live?.draw(`waiting: ${barrierText(s)} `) })
      } finally {
        live?.clear()
      }
    }
    if (wantsJson(ctx)) printJson(ctx, state === undefined ? { ...result, via } : { ...result, via, barrier: state })
    else ctx.out.write(`published ${result.key}${result.unchanged === true ? ' (unchanged: this immutable key already holds these bytes)' : ''}\n  digest ${result.digest}\n  cid    ${result.cid}\n  size   ${result.size}\n` + (state?.met === true ? `  ${barrierText(state)}\n` : ''))
    if (state !== undefined && !state.met) {
      // The publish stands; only the barrier fell short (a distinct exit code, so scripts can tell).
      if (!wantsJson(ctx)) ctx.err.write(`mycel publish: published ${result.key}, but after ${(timeoutMs / 1000).toFixed(1)} s ${barrierText(state)}\n`)
      return EXIT.PUBLISHED_PARTIAL
    }
    return EXIT.OK
  }
}
