// A site's report of itself, gossiped to every member so that any node can show every site's state
// (`mycel sites`, the page) with the age of each report, also for sites it cannot reach itself.
//
// A report says what its author sees (each member: connected or not, how many events it lacks) and
// what it holds (blobs held, and those its own policy says it should mirror but lacks). It is signed by
// its author with the node's Ed25519 identity, so a member relaying it cannot change it; a report is
// only ever taken from a current member about itself, newer than the one held, and bounded in size.
// Reports are not events: they live in memory, one per member, and are never stored or collected.

import { MycelError } from '../../../protocol/errors.js'
import type { Signer, Verifier } from '../../../protocol/ports.js'
import type { SiteState } from '../types.js'

/** Signatures cover this prefix too, so a report's signature can be mistaken for no other signed thing. */
const SIGNING_CONTEXT = 'mycel-site-report-v1\n'
/** A report body's bytes at most (a site seeing 256 members writes ~20 KiB). */
export const MAX_REPORT_BYTES = 32 * 1024
/** Members listed in one report. */
export const MAX_REPORT_SITES = 256
/** A report stamped this far ahead of our clock is refused (the core's hold horizon). */
export const MAX_REPORT_AHEAD_MS = 10 * 60_000

export interface ReportView {
  peer: string
  state: SiteState
  /** Events it lacks of those the author holds, from its last report to the author; null: unknown. */
  lag: number | null
}

export interface ReportHoldings {
  /** Blobs held here, and their bytes. */
  heldBlobs: number
  heldBytes: number
  /** Keys this site's policy says it should hold (eager, or a replication factor chose it) whose bytes it lacks, and their bytes. */
  missingKeys: number
  missingBytes: number
  /** Its disk quota is full (blob/quota-full.ts): the replication factor places copies elsewhere first. Absent: not full, or an older site. */
  full?: boolean
}

export interface SiteReport {
  v: 1
  author: string
  /** The author's wall clock when it wrote the report (ms since the epoch). */
  atMs: number
  name: string
  sites: ReportView[]
  holdings: ReportHoldings | null
}

export interface SignedReport {
  report: SiteReport
  /** The exact bytes signed (JSON of report). */
  body: Uint8Array
  sig: Uint8Array
}

export function signReport (report: SiteReport, signer: Signer): SignedReport {
  const body = new TextEncoder().encode(JSON.stringify(report))
  if (body.length > MAX_REPORT_BYTES) throw new MycelError('TOO_LARGE', `a site report of ${body.length} bytes is over ${MAX_REPORT_BYTES}`)
  return { report, body, sig: signer.sign(withContext(body)) }
}

/** Wire form: a frame's payload is JSON { v: 1, reports: [{ body, sig }] }, both base64. */
export function encodeReports (reports: SignedReport[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, reports: reports.map(r => ({ body: b64(r.body), sig: b64(r.sig) })) }))
}

/**
 * Decodes and checks a frame of reports: each signed by its author and well-formed, else DECODE_FAILED
 * or INVALID_EVENT (the sender relayed or made something false; the caller strikes it).
 */
export function decodeReports (bytes: Uint8Array, verifier: Verifier): SignedReport[] {
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw MycelError.decode('a report frame is not JSON')
  }
  if (!isRecord(raw) || raw.v !== 1 || !Array.isArray(raw.reports)) throw MycelError.decode('a report frame needs { v: 1, reports: [...] }')
  return raw.reports.map(item => {
    if (!isRecord(item) || typeof item.body !== 'string' || typeof item.sig !== 'string') throw MycelError.decode('a report needs body and sig')
    const body = fromB64(item.body)
    const sig = fromB64(item.sig)
    if (body.length > MAX_REPORT_BYTES) throw new MycelError('TOO_LARGE', `a site report of ${body.length} bytes is over ${MAX_REPORT_BYTES}`)
    const report = checkReport(JSON.parse(new TextDecoder().decode(body)))
    if (!verifier.verify(report.author, withContext(body), sig)) throw new MycelError('INVALID_EVENT', `a site report of ${report.author} with a bad signature`)
    return { report, body, sig }
  })
}

function checkReport (raw: unknown): SiteReport {
  const bad = (what: string): never => { throw MycelError.decode(`a site report: ${what}`) }
  if (!isRecord(raw) || raw.v !== 1) return bad('v must be 1')
  if (typeof raw.author !== 'string' || raw.author.length > 128) return bad('author')
  if (!isCount(raw.atMs)) return bad('atMs')
  if (typeof raw.name !== 'string' || raw.name.length > 80) return bad('name')
  if (!Array.isArray(raw.sites) || raw.sites.length > MAX_REPORT_SITES) return bad('sites')
  const sites = raw.sites.map(s => {
    if (!isRecord(s) || typeof s.peer !== 'string' || s.peer.length > 128) return bad('a site')
    if (s.state !== 'connected' && s.state !== 'unreachable' && s.state !== 'never-seen') return bad('a site state')
    if (s.lag !== null && !isCount(s.lag)) return bad('a site lag')
    return { peer: s.peer, state: s.state, lag: s.lag } satisfies ReportView
  })
  let holdings: ReportHoldings | null = null
  if (raw.holdings !== null) {
    const h = raw.holdings
    if (!isRecord(h) || !isCount(h.heldBlobs) || !isCount(h.heldBytes) || !isCount(h.missingKeys) || !isCount(h.missingBytes)) return bad('holdings')
    if (h.full !== undefined && typeof h.full !== 'boolean') return bad('holdings.full')
    holdings = { heldBlobs: h.heldBlobs, heldBytes: h.heldBytes, missingKeys: h.missingKeys, missingBytes: h.missingBytes, ...(h.full === true ? { full: true } : {}) }
  }
  return { v: 1, author: raw.author, atMs: raw.atMs, name: raw.name, sites, holdings }
}

function withContext (body: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(SIGNING_CONTEXT)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix)
  out.set(body, prefix.length)
  return out
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isCount (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function b64 (bytes: Uint8Array): string { return Buffer.from(bytes).toString('base64') }

function fromB64 (text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw MycelError.decode('a report field is not base64')
  return new Uint8Array(Buffer.from(text, 'base64'))
}
