// `mycel publish`: streams a file to the daemon under a key (PUT /v1/keys/<key>).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { PublishResult } from '../../daemon/api/contract.js'
import { ProgressLine, transferText } from '../progress-line.js'
import { drawsProgress } from '../terminal.js'
import { client, printJson, wantsJson } from './shared.js'
import { parseReplicas, parseTimeout, waitReplicas } from '../wait-replicas.js'

export const publish: Command = {
  name: 'publish',
  summary: 'store FILE under KEY and replicate its metadata to every member',
  positionals: [
    { name: 'FILE', description: 'the file to publish; - reads the bytes from stdin', path: 'file' },
    { name: 'KEY', description: 'name in the federation, e.g. builds/app-1.2.tar.gz' }
  ],
  options: {
    prop: { type: 'string', multiple: true, value: 'k=v', description: 'a property stored with the key' },
    'wait-replicas': { type: 'string', value: 'N|all', description: 'return only once N members (or all) hold verified bytes; exit 4 on timeout' },
    timeout: { type: 'string', value: 'DURATION', description: 'how long --wait-replicas waits, e.g. 60s, 2m (a bare number is seconds)', default: '60s' }
  },
  details: 'Returns once the write is durable on this node; other members learn of it by push and anti-entropy.\nFILE - reads the bytes from stdin (e.g. tar c dir | mycel publish - builds/dir.tar), sent as they come.\nWhen stderr is a terminal a progress line (bytes, rate) is drawn there while the bytes stream to the daemon.',
  async run (ctx) {
    const [file, key] = ctx.positionals
    const props = (ctx.options.prop as string[] | undefined) ?? []
    const wait = ctx.options['wait-replicas'] === undefined ? undefined : parseReplicas(ctx.options['wait-replicas'] as string)
    const timeoutMs = parseTimeout((ctx.options.timeout as string | undefined) ?? '60s')
    const api = await client(ctx)
    const started = Date.now()
    const line = drawsProgress(ctx) ? new ProgressLine(ctx.err) : undefined
    const body = file === '-' ? { uploadStream: ctx.stdin ?? process.stdin } : { uploadFile: file }
    let result: PublishResult
    try {
      result = await api.call<PublishResult>('PUT', `/v1/keys/${encodeURIComponent(key)}`, {
        query: props.map(p => ['prop', p]),
        ...body,
        onUpload: line === undefined
          ? undefined
          : (sent, total) => { line.draw(`${transferText(sent, total, (Date.now() - started) / 1000)}  to the daemon `, sent === total) }
      })
    } finally {
      line?.clear()
    }
    if (wait !== undefined) await waitReplicas(api, key, result.digest, wait, timeoutMs)
    if (wantsJson(ctx)) printJson(ctx, result)
    else ctx.out.write(`published ${result.key}\n  digest ${result.digest}\n  cid    ${result.cid}\n  size   ${result.size}\n`)
    return EXIT.OK
  }
}
