// `mycel fetch`: a blob's bytes to a file (output-file.ts), fetched from holders if need be.
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { onInterrupt } from '../interrupt.js'
import { MycelError } from '../../protocol/errors.js'
import { blobPath, downloadBlob, parseWaitFlag, waitForBytes, type Downloaded } from './blob-download.js'
import type { BlobStatus } from '../../daemon/api/contract.js'
import { copyFetched, copyHeld, heldFile } from './held-copy.js'
import { openOutput } from './output-file.js'
import { drawsProgress } from '../terminal.js'
import { client, printJson, wantsJson } from './shared.js'

export const fetch: Command = {
  name: 'fetch',
  summary: 'write the bytes of KEY (or sha256:HEX, or a CID) to a file, fetching them from holders if need be',
  positionals: [{ name: 'REF', description: 'a key, sha256:<hex> or a CID' }],
  options: {
    output: { type: 'string', short: 'o', value: 'FILE', description: "where to write: a file, or a directory for the default name (default: the key's last segment in the current directory; - for stdout)", path: 'file' },
    link: { type: 'boolean', description: "hard-link the daemon's copy to FILE instead of copying it (bytes already here, same file system; do not change FILE afterwards)" },
    wait: { type: 'string', value: 'DURATION', description: 'how long the bytes may take to arrive if they are not here yet, e.g. 90s, 10m (a bare number is seconds; default: 60s)' }
  },
  details: `Exit codes: 3 no such key or digest in this federation; 4 the bytes are not here and could not
be had within --wait (the digest and the holders known are named); 5 permission denied; 2 usage.
The file appears only once complete and verified (written beside it, then renamed); -o DIR writes
DIR/<default name>; a device or named pipe (e.g. /dev/stdout) is written in place. Bytes the daemon
holds, or fetches and keeps (its own, or its policy for the key is not none), are copied from its file
in the kernel (a reflink or copy_file_range) and, if held before this command, hashed here (--json:
"via": "copy"); otherwise (a site
that keeps no copy, or a device or pipe) they come through its API as they arrive ("via": "api"). The
file is fsynced before the command exits. --link makes FILE a hard link to the daemon's copy ("via":
"link"): no byte is copied or hashed again (the daemon verified its copy when it stored it, and its
scrub checks it since); FILE then shares the daemon's bytes, so change it only by replacing it. Across
file systems --link copies as without it and says so; at a site that keeps no copy it streams.`,
  async run (ctx) {
    const ref = ctx.positionals[0] as string
    const waitS = parseWaitFlag(ctx.options.wait)
    const api = await client(ctx)
    const started = Date.now()
    const out = ctx.options.output as string | undefined
    if (out === '-') {
      await downloadBlob(api, ctx, ref, waitS, process.stdout, drawsProgress(ctx))
      return EXIT.OK
    }
    let output = await openOutput(out, () => defaultName(ref))
    const path = output.path
    const stopWatching = onInterrupt(ctx.err, () => { output.abandonSync() }, `interrupted: nothing written to ${path}; the daemon goes on fetching the bytes (mycel where ${ref}), so running this again finishes sooner`)
    let got: Downloaded | undefined
    let via: 'copy' | 'link' | 'api' = 'api'
    try {
      // Bytes already here: a copy in the kernel from the daemon's file (held-copy.ts), else over the API.
      // One status request serves both: the download below takes it rather than asking again.
      let status = output.copyFrom === undefined ? undefined : await api.call<BlobStatus>('GET', blobPath(ref))
      // Bytes not here that the daemon keeps once fetched: it fetches them, then they are copied like
      // bytes already held. Streaming them through its API as they arrive costs more CPU on both sides
      // (a second read, hash and HTTP copy of every byte), and on a machine whose cores the transfer
      // already keeps busy that made the whole command slower, not faster (#22, docs/blobs.md).
      const fetchedNow = status !== undefined && status.local !== 'complete' && status.keptHere === true
      if (fetchedNow) status = await waitForBytes(api, ctx, ref, waitS, drawsProgress(ctx))
      const held = status === undefined ? undefined : heldFile(status)
      if (held !== undefined && ctx.options.link === true && output.linkFrom !== undefined) {
        try {
          await output.linkFrom(held.path)
          got = { status: held, size: held.size, holders: held.holders }
          via = 'link'
        } catch (err) {
          ctx.err.write(`mycel fetch: could not hard-link the daemon's file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${(err as NodeJS.ErrnoException).code === 'EXDEV' ? ': another file system' : ''}); copying it instead\n`)
          await output.abandon()
          output = await openOutput(path, () => defaultName(ref))
        }
      }
      if (held !== undefined && got === undefined) {
        try {
          got = fetchedNow ? await copyFetched(held, output) : await copyHeld(held, output)
          via = 'copy'
        } catch (err) {
          ctx.err.write(`mycel fetch: could not copy the daemon's file (${(err as Error).message}); streaming the bytes instead\n`)
          await output.abandon()
          output = await openOutput(path, () => defaultName(ref))
        }
      }
      got ??= await downloadBlob(api, ctx, ref, waitS, output.stream, drawsProgress(ctx), status, output.syncSoFar)
      await output.commit()
    } catch (err) {
      await output.abandon()
      throw err
    } finally {
      stopWatching()
    }
    const { status, size, holders } = got
    const ms = Date.now() - started
    if (wantsJson(ctx)) printJson(ctx, { key: status.key ?? null, digest: status.digest, cid: status.cid, size, path, holders, ms, via })
    else ctx.out.write(`fetched ${status.key ?? status.digest} → ${path}\n  digest ${status.digest}\n  size   ${size}\n  ${ms} ms\n`)
    return EXIT.OK
  }
}

function defaultName (ref: string): string {
  const digest = /^sha256:([0-9a-f]{64})$/i.exec(ref)
  if (digest !== null) return digest[1] as string
  const last = ref.split('/').filter(s => s !== '').pop()
  if (last === undefined || last === '.' || last === '..') throw MycelError.usage(`cannot name a file after ${ref}; give -o FILE`)
  return last
}
