// Site reports (visibility/reports/report.ts) as an insider would attack them: a report survives relay
// unchanged; one changed in transit, signed by another member in the author's name, oversized or
// malformed is refused with an error the gossip strikes the sender for.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { ed25519Signer, ed25519Verifier } from '../../../daemon/signing.js'
import { decodeReports, encodeReports, MAX_REPORT_SITES, signReport, type SiteReport } from '../../../daemon/visibility/reports/report.js'

async function member (): Promise<{ id: string, signer: ReturnType<typeof ed25519Signer> }> {
  const key = await generateKeyPair('Ed25519')
  return { id: peerIdFromPrivateKey(key).toString(), signer: ed25519Signer(key) }
}

function reportOf (author: string, over: Partial<SiteReport> = {}): SiteReport {
  return { v: 1, author, atMs: 1_800_000_000_000, name: 'edge-a', sites: [{ peer: 'p2', state: 'unreachable', lag: 7 }], holdings: { heldBlobs: 3, heldBytes: 4096, missingKeys: 1, missingBytes: 10 }, ...over }
}

describe('site reports', () => {
  const verifier = ed25519Verifier()

  it('a signed report decodes to what was signed, relayed in a frame with others', async () => {
    const a = await member()
    const b = await member()
    const frame = encodeReports([signReport(reportOf(a.id), a.signer), signReport(reportOf(b.id, { name: 'edge-b', holdings: null }), b.signer)])
    const got = decodeReports(frame, verifier)
    expect(got.map(r => r.report)).toEqual([reportOf(a.id), reportOf(b.id, { name: 'edge-b', holdings: null })])
  })

  it('a full disk quota travels as holdings.full; a report without it (an older site) reads as not full', async () => {
    const a = await member()
    const full = reportOf(a.id, { holdings: { heldBlobs: 3, heldBytes: 4096, missingKeys: 1, missingBytes: 10, full: true } })
    expect(decodeReports(encodeReports([signReport(full, a.signer)]), verifier)[0].report.holdings?.full).toBe(true)
    expect(decodeReports(encodeReports([signReport(reportOf(a.id), a.signer)]), verifier)[0].report.holdings?.full).toBeUndefined()
    const bad = reportOf(a.id, { holdings: { heldBlobs: 3, heldBytes: 4096, missingKeys: 1, missingBytes: 10, full: 'yes' as unknown as boolean } })
    expect(() => decodeReports(encodeReports([signReport(bad, a.signer)]), verifier)).toThrow(/holdings.full/)
  })

  it('a report changed in transit is refused (INVALID_EVENT)', async () => {
    const a = await member()
    const signed = signReport(reportOf(a.id), a.signer)
    const changed = { ...signed, body: new TextEncoder().encode(JSON.stringify(reportOf(a.id, { sites: [{ peer: 'p2', state: 'connected', lag: 0 }] }))) }
    expect(() => decodeReports(encodeReports([changed]), verifier)).toThrow(/bad signature/)
  })

  it('a member cannot speak for another: a report in the name of a signed by b is refused', async () => {
    const a = await member()
    const b = await member()
    const forged = signReport(reportOf(a.id), b.signer)
    expect(() => decodeReports(encodeReports([forged]), verifier)).toThrow(/bad signature/)
  })

  it('oversized and malformed reports are refused before any signature check', async () => {
    const a = await member()
    const many = Array.from({ length: MAX_REPORT_SITES + 1 }, (_, i) => ({ peer: `p${i}`, state: 'connected' as const, lag: 0 }))
    expect(() => signReport(reportOf(a.id, { sites: many, name: 'x'.repeat(40_000) }), a.signer)).toThrow(/over/)
    const tooMany = { body: new TextEncoder().encode(JSON.stringify(reportOf(a.id, { sites: many }))), sig: new Uint8Array(64) }
    expect(() => decodeReports(encodeReports([tooMany as never]), verifier)).toThrow(/sites/)
    expect(() => decodeReports(new TextEncoder().encode('{"v":1,"reports":[{"body":"!!","sig":""}]}'), verifier)).toThrow(/base64/)
    expect(() => decodeReports(new TextEncoder().encode('not json'), verifier)).toThrow(/not JSON/)
    const negative = { body: new TextEncoder().encode(JSON.stringify(reportOf(a.id, { atMs: -1 }))), sig: new Uint8Array(64) }
    expect(() => decodeReports(encodeReports([negative as never]), verifier)).toThrow(/atMs/)
  })
})
