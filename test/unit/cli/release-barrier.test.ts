// The release barrier's judgement (cli/wait-replicas.ts) on `where` answers: who `all` waits for in a
// mixed federation, --wait-sites and --wait-group, N, the replication factor, and the live line's text.
import { describe, expect, it } from 'vitest'
import type { WhereAnswer, WhereRow } from '../../../daemon/api/contract.js'
import { barrierText, judge, parsePublishReplicas, parseReplicas, waitBarrier } from '../../../cli/wait-replicas.js'
import type { ApiClient } from '../../../cli/api-client.js'
import { MycelError } from '../../../protocol/errors.js'

function row (name: string, over: Partial<WhereRow>): WhereRow {
  return { peerId: `id-${name}`, name, role: 'writer', metadata: '1.0', bytes: 'missing', progress: null, self: false, report: 'direct', mode: 'eager', groups: [], placed: null, ...over }
}

function answer (rows: WhereRow[], replicas: WhereAnswer['replicas'] = null): WhereAnswer {
  return { key: 'rel/1', digest: 'sha256:00', author: 'id-hub', seq: 1, stamp: '1.0', members: rows, replicas }
}

const federation = answer([
  row('hub', { self: true, bytes: 'held', report: 'self' }),
  row('edge-eager', { groups: ['edge'], bytes: 'fetching', progress: 0.4 }),
  row('edge-lazy', { groups: ['edge'], mode: 'on-demand' }),
  row('edge-none', { groups: ['edge'], mode: 'none', bytes: 'unknown' }),
  row('old', { mode: null, bytes: 'held' })
])

describe('the release barrier', () => {
  it('all waits for this node, the sites that mirror the key, and members that announced no policy', () => {
    const s = judge({ replicas: 'all' }, federation)
    expect(s.required).toBe(3)
    expect(s.met).toBe(false)
    expect(s.holding.map(x => x.name)).toEqual(['hub', 'old'])
    expect(s.missing.map(x => x.name)).toEqual(['edge-eager'])
    expect(barrierText(s)).toBe('2 of 3 sites hold it; missing: edge-eager (fetching 40%)')
  })

  it('a group and named sites are waited for whatever their policy; all conditions must hold', () => {
    const s = judge({ groups: ['edge'], sites: ['hub'] }, federation)
    expect(s.required).toBe(4)
    expect(s.missing.map(x => x.name)).toEqual(['edge-eager', 'edge-lazy', 'edge-none'])
    const met = judge({ sites: ['hub', 'old'] }, federation)
    expect(met).toMatchObject({ met: true, required: 2, missing: [] })
  })

  it('N counts holders anywhere; unknown sites and groups are usage errors', () => {
    expect(judge({ replicas: 2 }, federation).met).toBe(true)
    expect(judge({ replicas: 3 }, federation)).toMatchObject({ met: false, required: 3 })
    expect(() => judge({ sites: ['nowhere'] }, federation)).toThrow(/no member is named nowhere/)
    expect(() => judge({ groups: ['mars'] }, federation)).toThrow(/no member is in group mars/)
  })

  it('factor waits for the key\'s replication factor: N verified holders anywhere, the chosen ones named when missing', () => {
    const rows = [
      row('hub', { self: true, bytes: 'held', report: 'self', mode: 'on-demand', placed: true }),
      row('edge-a', { mode: 'on-demand', placed: true, bytes: 'fetching', progress: 0.5 }),
      row('edge-b', { mode: 'on-demand', placed: false }),
      row('edge-c', { mode: 'on-demand', placed: false, bytes: 'unknown' })
    ]
    const waiting = judge({ replicas: 'factor' }, answer(rows, { target: 2, actual: 1, holders: ['id-hub', 'id-edge-a'] }))
    expect(waiting).toMatchObject({ met: false, required: 2 })
    expect(barrierText(waiting)).toBe('1 of 2 sites hold it; missing: edge-a (fetching 50%)')
    // An eager site that mirrors it counts as a copy as much as a chosen one.
    rows[2] = row('edge-b', { mode: 'eager', placed: false, bytes: 'held' })
    const met = judge({ replicas: 'factor' }, answer(rows, { target: 2, actual: 2, holders: ['id-hub', 'id-edge-a'] }))
    expect(met).toMatchObject({ met: true, required: 2 })
    expect(met.holding.map(x => x.name)).toEqual(['hub', 'edge-b'])
    expect(() => judge({ replicas: 'factor' }, answer(rows))).toThrow(/rel\/1 has no replication factor/)
    expect(parsePublishReplicas('factor')).toBe('factor')
    expect(() => parsePublishReplicas('most')).toThrow(/positive integer or "all" or "factor"/)
    expect(() => parseReplicas('factor')).toThrow(/positive integer or "all", not factor/) // rm's: a delete has no bytes
  })
})

describe('the release barrier while another write wins', () => {
  /** An API whose `where` says NOT_FOUND (the key's winner is a tombstone) and whose settle names the delete. */
  const deletedElsewhere = {
    call: async (_method: string, path: string) => {
      if (path.startsWith('/v1/where/')) throw new MycelError('NOT_FOUND', 'no key rel/1')
      if (path.startsWith('/v1/settle/')) return { key: 'rel/1', winner: { kind: 'delete', author: 'id-berlin', authorName: 'berlin', seq: 9, stamp: '2.0', digest: null }, members: [] }
      throw new Error(`unexpected ${path}`)
    }
  } as unknown as ApiClient

  it('a delete that wins over the publish is a conflict (exit 7), not "no key" (exit 3)', async () => {
    const err = await waitBarrier(deletedElsewhere, 'rel/1', 'sha256:00', { replicas: 2 }, 1000).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/rel\/1: this publish lost to a delete at berlin/) })
  })
})
