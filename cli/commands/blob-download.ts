// What `mycel fetch` and `mycel cat` share: look the blob up, stream its bytes
// from the local daemon (which fetches them from holders first if need be),
// hashing as they pass so the CLI itself checks the digest, and a progress
// line on a terminal while the daemon is still fetching.

import { createHash } from 'node:crypto'
import type { Writable } from 'node:stream'
import { MycelError } from '../../protocol/errors.js'
import type { ApiClient } from '../api-client.js'
import type { CommandContext } from '../command.js'
import type { BlobStatus } from '../../daemon/blob/service.js'
import { DEFAULT_FETCH_WAIT_S } from '../../daemon/blob/constants.js'

const PROGRESS_EVERY_MS = 250

export function blobPath (ref: string): string {
  return `/v1/blobs/${encodeURIComponent(ref)}`
}

export function parseWaitFlag (value: unknown): number {
  if (value === undefined) return DEFAULT_FETCH_WAIT_S
  const s = Number(value)
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(s) || s < 0) throw MycelError.usage(`--wait must be a number of seconds, not ${String(value)}`)
  return s
}

export interface Downloaded { status: BlobStatus, size: number, holders: string[] }

/** Streams the bytes of `ref` into `sink`; throws NOT_FOUND / UNAVAILABLE (with digest and holders) / INTERNAL on a digest mismatch. */
export async function downloadBlob (api: ApiClient, ctx: CommandContext, ref: string, waitS: number, sink: Writable, progress: boolean): Promise<Downloaded> {
  const status = await api.call<BlobStatus>('GET', blobPath(ref))
  const stopProgress = progress && status.local !== 'complete' ? showProgress(api, ctx, ref) : () => {}
  let res
  try {
    res = await api.download(`${blobPath(ref)}/content`, [['wait', String(waitS)]])
  } finally {
    stopProgress()
  }
  const hash = createHash('sha256')
  let size = 0
  // A sink that fails (a full disk, say) ends the download with its error, not a crash. The listener
  // stays for the sink's life: an error after the last write must not go unheard either.
  let sinkError: Error | undefined
  let onSinkError: (err: Error) => void = () => {}
  const sinkFailed = (err: Error): void => { sinkError ??= err; onSinkError(err) }
  sink.on('error', sinkFailed)
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (sinkError !== undefined) break
      hash.update(chunk)
      size += chunk.length
      if (!sink.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          onSinkError = reject
          sink.once('drain', () => { onSinkError = () => {}; resolve() })
        })
      }
    }
  } catch (err) {
    if (sinkError === undefined) throw err
  }
  if (sinkError !== undefined) {
    res.destroy()
    throw new MycelError('INTERNAL', `could not write the bytes: ${(sinkError as NodeJS.ErrnoException).code ?? sinkError.message}`)
  }
  const digest = `sha256:${hash.digest('hex')}`
  if (digest !== status.digest) throw new MycelError('INTERNAL', `received bytes hash to ${digest}, not ${status.digest}`)
  const holders = String(res.headers['x-mycel-holders'] ?? '').split(',').filter(h => h !== '')
  return { status, size, holders }
}

/** A `\r`-rewritten line on stderr: bytes here, rate, holders. Returns its stop function. */
function showProgress (api: ApiClient, ctx: CommandContext, ref: string): () => void {
  const started = Date.now()
  let last = ''
  const timer = setInterval(() => {
    api.call<BlobStatus>('GET', blobPath(ref)).then(s => {
      const secs = Math.max(0.001, (Date.now() - started) / 1000)
      const have = s.bytesHave
      const pct = s.size === 0 ? 100 : Math.floor((have / s.size) * 100)
      const width = 24
      const bar = '#'.repeat(Math.floor((pct / 100) * width)).padEnd(width, '.')
      last = `\r[${bar}] ${pct}%  ${mib(have)}/${mib(s.size)} MiB  ${(have / secs / 1e6).toFixed(1)} MB/s  ${s.holders.length} holder${s.holders.length === 1 ? '' : 's'} `
      ctx.err.write(last)
    }, () => {})
  }, PROGRESS_EVERY_MS)
  return () => {
    clearInterval(timer)
    if (last !== '') ctx.err.write('\r' + ' '.repeat(last.length) + '\r')
  }
}

function mib (n: number): string {
  return (n / 1024 / 1024).toFixed(1)
}
