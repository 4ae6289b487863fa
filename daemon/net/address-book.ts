// The address book: which members this node has met and where they listen, kept in <dir>/peers.json
// so a restarted daemon can find its federation again. Writes go to a temp file then rename, one at a
// time; a save requested while one is running is coalesced into one more. A file that does not parse is
// moved aside (peers.json.bad) rather than overwritten, and the book starts empty.

import { readFile, rename, writeFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'

export const PEERS_FILE = 'peers.json'
const FILE_VERSION = 1

export interface PeerRecord {
  peerId: string
  addrs: string[]
  lastSeenMs?: number
}

export interface AddressBookInit {
  dir: string
  maxPeers: number
  maxAddrsPerPeer: number
  onError: (err: unknown) => void
}

export class AddressBook {
  private readonly init: AddressBookInit
  private readonly peers = new Map<string, PeerRecord>()
  private saving: Promise<void> | undefined
  private dirty = false

  constructor (init: AddressBookInit) {
    this.init = init
  }

  get path (): string {
    return join(this.init.dir, PEERS_FILE)
  }

  async load (): Promise<void> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    const records = parse(text)
    if (records === undefined) {
      await rename(this.path, `${this.path}.bad`)
      this.init.onError(new Error(`${this.path} did not parse; moved to ${PEERS_FILE}.bad`))
      return
    }
    for (const record of records) this.upsert(record.peerId, record.addrs, record.lastSeenMs, false)
  }

  get (peerId: string): PeerRecord | undefined {
    return this.peers.get(peerId)
  }

  has (peerId: string): boolean {
    return this.peers.has(peerId)
  }

  list (): PeerRecord[] {
    return [...this.peers.values()]
  }

  /** Remember a peer: new addresses go first, duplicates merge, the list is capped. */
  upsert (peerId: string, addrs: string[], lastSeenMs?: number, save = true): void {
    const previous = this.peers.get(peerId)
    const merged = [...new Set([...addrs, ...(previous?.addrs ?? [])])].slice(0, this.init.maxAddrsPerPeer)
    const seen = Math.max(lastSeenMs ?? 0, previous?.lastSeenMs ?? 0)
    const record: PeerRecord = { peerId, addrs: merged, ...(seen > 0 ? { lastSeenMs: seen } : {}) }
    this.peers.delete(peerId) // re-insert: Map order doubles as least-recently-updated first
    this.peers.set(peerId, record)
    this.evictOverflow()
    if (save) this.save()
  }

  /** Persist in the background; errors go to onError (the book in memory stays authoritative). */
  save (): void {
    this.dirty = true
    if (this.saving !== undefined) return
    this.saving = this.writeLoop().catch(this.init.onError).finally(() => { this.saving = undefined })
  }

  /** Wait for pending writes (used by stop()). */
  async flush (): Promise<void> {
    while (this.saving !== undefined) await this.saving
  }

  private async writeLoop (): Promise<void> {
    while (this.dirty) {
      this.dirty = false
      const text = JSON.stringify({ version: FILE_VERSION, peers: this.list() }, null, 2) + '\n'
      const tmp = `${this.path}.tmp`
      try {
        await writeFile(tmp, text, { mode: 0o600 })
        await rename(tmp, this.path)
      } catch (err) {
        await unlink(tmp).catch(() => {})
        throw err
      }
    }
  }

  private evictOverflow (): void {
    while (this.peers.size > this.init.maxPeers) {
      // Forget the peer seen longest ago; Map iteration is insertion (= update) order.
      let oldest: PeerRecord | undefined
      for (const record of this.peers.values()) {
        if (oldest === undefined || (record.lastSeenMs ?? 0) < (oldest.lastSeenMs ?? 0)) oldest = record
      }
      if (oldest === undefined) return
      this.peers.delete(oldest.peerId)
    }
  }
}

function parse (text: string): PeerRecord[] | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  const peers = (value as { peers?: unknown }).peers
  if (!Array.isArray(peers)) return undefined
  const out: PeerRecord[] = []
  for (const entry of peers) {
    if (entry === null || typeof entry !== 'object') continue
    const { peerId, addrs, lastSeenMs } = entry as Record<string, unknown>
    if (typeof peerId !== 'string' || !Array.isArray(addrs)) continue
    out.push({
      peerId,
      addrs: addrs.filter((a): a is string => typeof a === 'string'),
      ...(typeof lastSeenMs === 'number' ? { lastSeenMs } : {})
    })
  }
  return out
}
