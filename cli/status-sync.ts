// `mycel status`'s per-peer sync columns: GET /v1/sync (daemon/visibility)
// merged into the status answer's peers rows, so `status --json` carries
// lagMs, lastSyncAt, clockOffsetMs, clockWarning and transfers per peer.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PeerLag, PeerSync, Reach, StatusInfo } from '../daemon/api/contract.js'
import type { ApiClient } from './api-client.js'
import { warningText } from './terminal.js'

export type StatusPeer = PeerLag & Partial<PeerSync> & { reach?: Reach | null }

export async function withPeerSync (api: ApiClient, status: StatusInfo): Promise<StatusInfo & { peers: StatusPeer[] }> {
  return mergePeerSync(status, await api.call<PeerSync[]>('GET', '/v1/sync'))
}

/** The same with /v1/sync already fetched (`status` asks for both at once). */
export function mergePeerSync (status: StatusInfo, rows: PeerSync[]): StatusInfo & { peers: StatusPeer[] } {
  const sync = new Map(rows.map(p => [p.peerId, p]))
  return { ...status, peers: status.peers.map(p => ({ ...p, ...omitLag(sync.get(p.peerId)) })) }
}

/** The status answer's own lag fields (from the peer's direct reports) stay as they are. */
function omitLag (p: PeerSync | undefined): Partial<PeerSync> {
  if (p === undefined) return {}
  const { lag: _lag, ...rest } = p
  return rest
}

/** The per-peer lines of `status`; clock warnings in colour when `colour` (cli/terminal.ts). */
export function peerSyncLines (peers: StatusPeer[], colour = false): string[] {
  const lines: string[] = []
  for (const p of peers) {
    const ago = p.lastSyncAt == null ? 'never' : `${((Date.now() - Date.parse(p.lastSyncAt)) / 1000).toFixed(1)} s ago`
    const offset = p.clockOffsetMs == null ? '?' : `${p.clockOffsetMs >= 0 ? '+' : ''}${p.clockOffsetMs} ms`
    const t = p.transfers
    lines.push(`  ${p.name === undefined ? p.peerId : `${p.name}  (${p.peerId})`}${p.reach == null ? '' : `  ${p.reach}`}`,
      `      lag ${p.lag ?? '?'} events, ${p.lagMs == null ? '?' : `${(p.lagMs / 1000).toFixed(1)} s`}   last sync ${ago}   clock offset ${offset}`,
      `      transfers ${t == null ? 'unknown' : `${t.pending} pending, ${t.active} active, ${t.failed} failed`}`)
    if (p.clockWarning != null) lines.push(warningText(`      WARNING: ${p.clockWarning}`, colour))
  }
  return lines
}

/** The status page with the token in the URL fragment: the browser never sends a fragment to a server or as a referrer. */
export async function statusPageUrl (api: ApiClient): Promise<string> {
  const token = (await readFile(join(api.dir, 'api.token'), 'utf8')).trim()
  return `${api.url}/ui#token=${token}`
}
