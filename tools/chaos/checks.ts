// The checks after the final heal and quiet period. Each is a separate
// function over the final state and the history; together they are the promises:
//   same-digest     every node reports the same state digest (and the same `ls`)
//   lost-write      no acknowledged write is lost: the final version of a key is
//                   never older than an acknowledged write to it, and a key an
//                   acknowledged publish left live is gone only if a delete that
//                   could be newer was issued
//   resurrected     no deleted key comes back: a key whose newest acknowledged
//                   write is a delete is live only through a newer write
//   phantom         every live value was written by the workload (its digest and
//                   version match an acked write, or an unknown write's content)
//   blob-digest     every file in every node's blobs/sha256/ hashes to its name
//   blob-present    every live key's blob is on the node that published it

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChaosNode } from './cluster.js'
import { compareVersion, wallOfStamp, type Violations, type WriteRecord } from './history.js'

export interface FinalEntry { key: string, digest: string, author: string, stamp: string }

type Acked = WriteRecord & { stamp: string, author: string }

export function checkHistory (final: FinalEntry[], writes: WriteRecord[], v: Violations): void {
  const live = new Map(final.filter(e => e.key.startsWith('k/')).map(e => [e.key, e]))
  const byKey = new Map<string, WriteRecord[]>()
  for (const w of writes) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w])
  for (const [key, e] of live) if (!byKey.has(key)) v.add('phantom', `${key} is live but the workload never wrote it`)
  for (const [key, ws] of byKey) checkKey(key, live.get(key), ws, v)
}

function checkKey (key: string, f: FinalEntry | undefined, ws: WriteRecord[], v: Violations): void {
  const acked = ws.filter((w): w is Acked => w.outcome === 'acked' && w.stamp !== undefined && w.author !== undefined)
  const newest = acked.reduce<Acked | undefined>((m, w) => m === undefined || compareVersion(w, m) > 0 ? w : m, undefined)
  if (f !== undefined) {
    const same = acked.find(w => w.op === 'put' && w.stamp === f.stamp && w.author === f.author)
    if (same !== undefined && same.digest !== f.digest) v.add('phantom', `${key}: final ${f.digest} at ${f.stamp} but the acked write at that version had ${String(same.digest)}`)
    if (same === undefined && !ws.some(w => w.op === 'put' && w.outcome === 'unknown' && w.digest === f.digest)) {
      v.add('phantom', `${key}: final ${f.digest} at ${f.stamp} by ${f.author.slice(-8)} matches no write of the workload`)
    }
    if (newest !== undefined && compareVersion(newest, f) > 0) {
      const check = newest.op === 'delete' ? 'resurrected' : 'lost-write'
      v.add(check, `${key}: final version ${f.stamp} is older than the acknowledged ${newest.op} at ${newest.stamp} on node ${newest.node}`)
    }
    return
  }
  if (newest === undefined || newest.op === 'delete') return
  // Gone, and the newest acknowledged write is a put: only a delete whose outcome is unknown may be newer.
  // A delete that finished before the put began has an older stamp (one machine, one clock), so it cannot.
  const putWall = wallOfStamp(newest.stamp)
  const couldBeNewer = ws.some(w => w.op === 'delete' && w.outcome === 'unknown' && w.endMs + 1 >= putWall)
  if (!couldBeNewer) v.add('lost-write', `${key}: the acknowledged put at ${newest.stamp} on node ${newest.node} is gone and no delete could be newer`)
}

/** Hashes every stored blob of every node; a blob is named by its own sha-256. */
export async function checkBlobs (nodes: ChaosNode[], final: FinalEntry[], v: Violations): Promise<number> {
  let files = 0
  const held = new Map<number, Set<string>>()
  for (const n of nodes) {
    const dir = join(n.node.dir, 'blobs', 'sha256')
    const names = await readdir(dir).catch(() => [] as string[])
    held.set(n.index, new Set(names))
    for (const name of names) {
      files++
      const got = await hashFile(join(dir, name))
      if (got !== name) v.add('blob-digest', `node ${n.index}: blobs/sha256/${name} hashes to ${got}`)
    }
  }
  for (const e of final) {
    if (!e.key.startsWith('k/')) continue
    const author = nodes.find(n => n.peerId === e.author)
    if (author === undefined) continue
    if (held.get(author.index)?.has(e.digest.replace(/^sha256:/, '')) !== true) v.add('blob-present', `${e.key}: ${e.digest} is not on node ${author.index}, which published it`)
  }
  return files
}

async function hashFile (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
