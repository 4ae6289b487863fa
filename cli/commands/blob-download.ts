// What `mycel fetch` and `mycel cat` share: look the blob up, stream its bytes
// from the local daemon (which fetches them from holders first if need be),
// hashing as they pass so the CLI itself checks the digest, and a progress
// line on a terminal while the daemon is still fetching, then while the bytes
// are written out.

import { crypto } from '../builtins.js'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { MycelError } from '../../protocol/errors.js'
import type { ApiClient } from '../api-client.js'
import type { CommandContext } from '../command.js'
import { DEFAULT_FETCH_WAIT_S, MAX_FETCH_WAIT_S, type BlobStatus } from '../../daemon/api/contract.js'
import { parseDurationInRange } from '../../protocol/duration.js'
import { PROGRESS_EVERY_MS, ProgressLine, transferText } from '../progress-line.js'

export function blobPath (ref: string): string {
  return `/v1/blobs/${encodeURIComponent(ref)}`
}

/** `--wait` in seconds (what the API's `wait=` takes): any duration, e.g. 90, 90s, 2m; 0 = do not wait. */
export function parseWaitFlag (value: unknown): number {
  if (value === undefined) return DEFAULT_FETCH_WAIT_S
  return parseDurationInRange(String(value), '--wait', 0, MAX_FETCH_WAIT_S * 1000) / 1000
}

export interface Downloaded { status: BlobStatus, size: number, holders: string[] }

/**
 * Bytes written between two early flushes of the output (`syncSoFar`). The kernel then writes a big file
 * back while the bytes still arrive, instead of all of it in the fsync before the command exits: that
 * fsync took 0.2 s of a 256 MiB fetch here, about 0.8 s of a GiB. Only one flush runs at a time.
 */
const SYNC_EVERY_BYTES = 32 * 1024 * 1024

/**
 * Streams the bytes of `ref` into `sink`; throws NOT_FOUND / UNAVAILABLE (with digest and holders) / INTERNAL on a
 * digest mismatch. `known`: the blob's status, when the caller has just asked for it. `syncSoFar`: makes
 * what the sink has written durable (a file's fdatasync), started every SYNC_EVERY_BYTES.
 */
export async function downloadBlob (api: ApiClient, ctx: CommandContext, ref: string, waitS: number, sink: Writable, progress: boolean, known?: BlobStatus, syncSoFar?: () => Promise<void>): Promise<Downloaded> {
  const status = known ?? await api.call<BlobStatus>('GET', blobPath(ref))
  const stopProgress = progress && status.local !== 'complete' ? showProgress(api, ctx, ref) : () => {}
  let res
  try {
    res = await api.download(`${blobPath(ref)}/content`, [['wait', String(waitS)]])
  } finally {
    stopProgress()
  }
  // Then the copy from the daemon's store to the output, a second long step for a big blob.
  const copying = progress ? new ProgressLine(ctx.err) : undefined
  const copyStarted = Date.now()
  const hash = crypto().createHash('sha256')
  let size = 0
  // A sink that fails (a full disk, say) ends the download with its error, not a crash. The listener
  // stays for the sink's life: an error after the last write must not go unheard either.
  let sinkError: Error | undefined
  sink.on('error', (err: Error) => { sinkError ??= err })
  let syncing: Promise<void> | undefined
  let syncedUpTo = 0
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (sinkError !== undefined) break
      hash.update(chunk)
      size += chunk.length
      copying?.draw(`${transferText(size, status.size, (Date.now() - copyStarted) / 1000)}  writing `)
      if (!sink.write(chunk)) await once(sink, 'drain') // rejects if the sink fails meanwhile
      if (syncSoFar !== undefined && syncing === undefined && size - syncedUpTo >= SYNC_EVERY_BYTES) {
        syncedUpTo = size
        syncing = syncSoFar().then(() => { syncing = undefined }, (err: Error) => { sinkError ??= err })
      }
    }
  } catch (err) {
    if (sinkError === undefined) throw cutShort(err, ref, size, status.size)
  } finally {
    copying?.clear()
    await syncing
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

/**
 * Waits until the daemon holds `ref`'s bytes (it fetches them from holders meanwhile; a progress line on
 * a terminal), then answers its status, with the path of its copy. UNAVAILABLE (with digest and holders)
 * if they could not be had within `waitS`.
 */
export async function waitForBytes (api: ApiClient, ctx: CommandContext, ref: string, waitS: number, progress: boolean): Promise<BlobStatus> {
  const stopProgress = progress ? showProgress(api, ctx, ref) : () => {}
  try {
    return await api.call<BlobStatus>('GET', blobPath(ref), { query: [['wait', String(waitS)]] })
  } finally {
    stopProgress()
  }
}

/**
 * The daemon ended the bytes early. It does so on purpose when a chunk of its copy fails the check
 * against the blob's manifest (it never sends wrong bytes; it removes the copy and fetches it again), or
 * when the fetch it was sending from as it went fails before the end, so say that rather than a bare
 * "aborted".
 */
function cutShort (err: unknown, ref: string, got: number, size: number): MycelError {
  return new MycelError('UNAVAILABLE', `the daemon stopped sending the bytes of ${ref} after ${got} of ${size}: its fetch from holders failed midway, or its copy failed the check against the blob's manifest (it is fetching a good copy from holders; try again), or it stopped (${(err as Error).message})`, { cause: err })
}

/** A progress line on stderr while the daemon fetches: bytes here, rate, holders. Returns its stop function. */
function showProgress (api: ApiClient, ctx: CommandContext, ref: string): () => void {
  const started = Date.now()
  const line = new ProgressLine(ctx.err)
  let stopped = false
  const timer = setInterval(() => {
    api.call<BlobStatus>('GET', blobPath(ref)).then(s => {
      if (stopped) return // an answer that arrives after the bytes must not redraw the erased line
      const n = s.holders.length
      line.draw(`${transferText(s.bytesHave, s.size, (Date.now() - started) / 1000)}  ${n} holder${n === 1 ? '' : 's'} `, true)
    }, () => {})
  }, PROGRESS_EVERY_MS)
  return () => {
    stopped = true
    clearInterval(timer)
    line.clear()
  }
}
