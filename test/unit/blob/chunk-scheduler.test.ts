// The blob fetch's chunk scheduler (daemon/blob/chunk-scheduler.ts) in virtual
// time: simulated holders on the simulator's event queue (test/helpers/chunk-fetch.ts),
// no sleeps and no wall clock, so every figure below is exact and every run the same.
import { describe, expect, it } from 'vitest'
import { ChunkScheduler, MIN_RANGES_PER_HOLDER, OUTPACE_FACTOR } from '../../../daemon/blob/chunk-scheduler.js'
import { ENDGAME_AFTER_MS, IN_FLIGHT_BYTES, STALL_TIMEOUT_MS } from '../../../daemon/blob/constants.js'
import { TakeOrder } from '../../../daemon/blob/take-order.js'
import { bits, runFetch } from '../../helpers/chunk-fetch.js'

const KiB4 = 4096
const MiB = 1024 * 1024
const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b)

describe('chunk scheduler', () => {
  it('three holders: each chunk written once; a lying holder is dropped and its chunks come from the others', () => {
    const run = runFetch({ chunks: 11, chunkSize: KiB4, holders: { liar: { msPerChunk: 1, lies: true }, h1: { msPerChunk: 1 }, h2: { msPerChunk: 1 } } })
    expect(run.doneAtMs).toBeDefined()
    expect(run.failed.get('liar')).toMatch(/did not match/)
    expect(run.badChunks).toBe(3)
    expect(run.written.get('liar')).toBeUndefined()
    expect((run.written.get('h1') ?? 0) + (run.written.get('h2') ?? 0)).toBe(11)
    expect(run.duplicates).toBe(0)
    const honest = [...(run.asked.get('h1') ?? []), ...(run.asked.get('h2') ?? [])]
    expect(new Set(honest).size).toBe(honest.length) // no chunk asked of two honest holders
  })

  it('three holders keep a bounded number of ranges out (two each at least), and the fastest takes the most', () => {
    // 200 chunks of 4 KiB: ranges of 8 chunks; the job's bound is 3 ranges out, two per holder at least.
    const run = runFetch({ chunks: 200, chunkSize: KiB4, holders: { slow1: { msPerChunk: 15 }, slow2: { msPerChunk: 15 }, fast: { msPerChunk: 1 } } })
    expect(run.doneAtMs).toBeDefined()
    expect(run.maxRangesOut).toBeLessThanOrEqual(3 + 2 * 2) // the first holder's three lanes and two each for the others, at the start
    for (const peer of ['slow1', 'slow2', 'fast']) expect(run.maxRangesOf.get(peer)).toBeLessThanOrEqual(3)
    const of = (p: string): number => run.written.get(p) ?? 0
    expect(of('fast')).toBeGreaterThan(of('slow1') + of('slow2'))
    expect(of('fast') + of('slow1') + of('slow2')).toBe(200)
    expect(run.duplicates).toBe(0)
  })

  it('with 1 MiB chunks, three holders have no more bytes on the way than one (ranges shrink to one chunk)', () => {
    const onTheWay = (holders: string[]): number => {
      const run = runFetch({ chunks: 16, chunkSize: MiB, holders: Object.fromEntries(holders.map(h => [h, { msPerChunk: 2 }])) })
      expect(run.doneAtMs).toBeDefined()
      return run.maxChunksOnTheWay * MiB
    }
    expect(onTheWay(['h1'])).toBeLessThanOrEqual(IN_FLIGHT_BYTES)
    // Two one-chunk ranges per holder, plus the one extra range a clearly faster holder may take.
    expect(onTheWay(['h1', 'h2', 'h3'])).toBeLessThanOrEqual(IN_FLIGHT_BYTES + MiB)
  })

  it(`outpace: a holder ${OUTPACE_FACTOR}× faster than another takes one range over the bound; one a little faster, or the slower, does not`, () => {
    // 4 KiB chunks: three ranges out for the job, two per holder at least. A and B each take two;
    // one of B's ends, so three are out when A, whose ranges came back at `aMs` per range (B's at
    // 16 ms), asks for a third.
    const third = (aMs: number): string => {
      const s = new ChunkScheduler({ chunkSize: KiB4, have: new Uint8Array(64) })
      s.join('A', false)
      s.join('B', false)
      const take = (peer: string, now: number): [number, number] => {
        const step = s.next(peer, now)
        if (step.kind !== 'range') throw new Error(`${peer}: ${step.kind}`)
        return [step.from, step.to]
      }
      const answered = (peer: string, [from, to]: [number, number], askedMs: number, nowMs: number): void => {
        for (let i = from; i < to; i++) s.chunkWritten(i)
        s.rangeEnded(peer, from, to, new Set(all(to).slice(from)), askedMs, nowMs)
      }
      const a1 = take('A', 0)
      take('A', 0)
      const b1 = take('B', 0)
      const b2 = take('B', 0)
      answered('A', a1, 0, aMs) // A's rate: 8 chunks per aMs
      take('A', aMs) // back to two
      answered('B', b1, 0, 16) // B's rate: 8 chunks per 16 ms
      answered('B', b2, 0, 16)
      take('B', 16) // B has one out: three in all
      return s.next('A', 16).kind
    }
    expect(MIN_RANGES_PER_HOLDER).toBe(2)
    expect(third(10)).toBe('range') // 1.6× B's rate
    expect(third(12)).toBe('range') // 1.33×
    expect(third(13)).toBe('wait') // 1.23×: not clearly faster (hysteresis)
    expect(third(16)).toBe('wait')
    expect(third(30)).toBe('wait') // slower
  })

  it('end game: chunks lingering with a slow holder are also asked of an idle one, once the patience has passed', () => {
    const run = runFetch({ chunks: 11, chunkSize: KiB4, endgameAfterMs: 50, holders: { slow: { msPerChunk: 5_000 }, fast: { msPerChunk: 1 } } })
    expect(run.doneAtMs).toBeGreaterThanOrEqual(50) // not before the patience
    expect(run.doneAtMs).toBeLessThan(100) // and soon after: not 11 × 5 s behind the slow holder
    expect(run.endgameChunks).toBe(11)
    expect(run.written.get('fast')).toBe(11)
    expect(run.duplicates).toBe(0) // the slow copies never arrived
    expect(sorted(run.asked.get('fast') ?? [])).toEqual(all(11)) // each chunk stolen once
  })

  it('a holder that stalls: the end game takes its chunks after the 2 s patience, long before its stall timeout', () => {
    const run = runFetch({ chunks: 40, chunkSize: KiB4, holders: { hung: { msPerChunk: 1, stallAfterChunks: 3 }, ok: { msPerChunk: 10 } } })
    expect(run.doneAtMs).toBeGreaterThanOrEqual(ENDGAME_AFTER_MS)
    expect(run.doneAtMs).toBeLessThan(ENDGAME_AFTER_MS + 1_000)
    expect(run.doneAtMs).toBeLessThan(STALL_TIMEOUT_MS)
    expect(run.failed.size).toBe(0) // done before the hung holder is cut off
    expect((run.written.get('hung') ?? 0) + (run.written.get('ok') ?? 0)).toBe(40)
    expect(run.written.get('hung')).toBe(3)
    expect(run.duplicates).toBe(0)
  })

  it('a partial holder is asked only for chunks its bitmap shows, asked again as it gains more; a refused range is no failure', () => {
    const partHas = bits(11, [0, 4])
    let answers = 0
    let refuse = true
    const outside: number[] = []
    const run = runFetch({
      chunks: 11,
      chunkSize: KiB4,
      endgameAfterMs: 60_000,
      holders: {
        // The whole holder answers later and is slow, so the partial one takes what it has first.
        whole: { msPerChunk: 30, joinAtMs: 100 },
        part: {
          msPerChunk: 1,
          bitmap: () => {
            if (++answers === 3) partHas.fill(1, 0, 8) // it got further meanwhile
            return { have: Uint8Array.from(partHas), coming: new Uint8Array(11) }
          },
          refuses: (from, to) => {
            for (let i = from; i < to; i++) if (partHas[i] !== 1) outside.push(i)
            if (refuse) { refuse = false; return true }
            return false
          }
        }
      }
    })
    expect(run.doneAtMs).toBeDefined()
    expect(outside).toEqual([])
    expect(run.bitmapsAsked.get('part')).toBeGreaterThanOrEqual(2) // the first, and again after the refusal
    expect(run.failed.has('part')).toBe(false)
    expect(run.writtenPartial.get('part')).toBe(run.written.get('part'))
    expect(run.written.get('part')).toBeGreaterThanOrEqual(4)
    expect((run.written.get('part') ?? 0) + (run.written.get('whole') ?? 0)).toBe(11)
    expect(run.duplicates).toBe(0)
  })

  it('a partial holder found complete (its bitmap says so) is asked for anything', () => {
    const run = runFetch({ chunks: 11, chunkSize: KiB4, holders: { p: { msPerChunk: 1, bitmap: () => undefined } } })
    expect(run.doneAtMs).toBeDefined()
    expect(run.bitmapsAsked.get('p')).toBe(1)
    expect(run.written.get('p')).toBe(11)
    expect(run.writtenPartial.get('p')).toBeUndefined()
  })

  it('a partial holder whose bitmap lies (it refuses every range) is dropped, and a whole holder supplies everything', () => {
    const run = runFetch({
      chunks: 11,
      chunkSize: KiB4,
      holders: {
        liar: { msPerChunk: 1, bitmap: () => ({ have: bits(11, [0, 11]), coming: new Uint8Array(11) }), refuses: () => true },
        whole: { msPerChunk: 1, joinAtMs: 5 }
      }
    })
    expect(run.doneAtMs).toBeLessThan(1_000)
    expect(run.failed.get('liar')).toMatch(/refused/)
    expect(run.written.get('whole')).toBe(11)
    expect(run.written.get('liar')).toBeUndefined()
  })

  it('a shuffled order still takes every chunk once, and asks a whole holder only for what no partial holder has or fetches', () => {
    const run = runFetch({
      chunks: 11,
      chunkSize: KiB4,
      shuffleSeed: 7,
      endgameAfterMs: 60_000,
      holders: {
        // The partial holder has 0–4 and is fetching 9, which it has from 20 ms on.
        part: { msPerChunk: 2, bitmap: now => now < 20 ? { have: bits(11, [0, 5]), coming: bits(11, [9, 10]) } : { have: bits(11, [0, 5], [9, 10]), coming: new Uint8Array(11) } },
        // The whole holder joins once the partial one's bitmap is known.
        whole: { msPerChunk: 2, joinAtMs: 50 }
      }
    })
    expect(run.doneAtMs).toBeDefined()
    expect(sorted([...(run.asked.get('whole') ?? []), ...(run.asked.get('part') ?? [])])).toEqual(all(11))
    expect((run.asked.get('whole') ?? []).filter(i => i < 5 || i === 9)).toEqual([])
    expect(run.duplicates).toBe(0)
  })

  it('a chunk a partial holder says it is fetching, but never gets, comes from a whole holder after the end game\'s patience', () => {
    const run = runFetch({
      chunks: 11,
      chunkSize: KiB4,
      endgameAfterMs: 100,
      holders: {
        stuck: { msPerChunk: 1, bitmap: () => ({ have: new Uint8Array(11), coming: bits(11, [0, 11]) }) }, // "fetching everything"
        whole: { msPerChunk: 1, joinAtMs: 20 } // after the bitmap came
      }
    })
    expect(run.doneAtMs).toBeGreaterThanOrEqual(100) // it waited for the partial holder first
    expect(run.doneAtMs).toBeLessThan(200)
    expect(run.written.get('whole')).toBe(11)
    expect(sorted(run.asked.get('whole') ?? [])).toEqual(all(11))
  })

  it('a fetch takes chunks from a member still downloading them, as it verifies them, and ends soon after it', () => {
    // B fetches 32 chunks from a slow origin A (60 ms a chunk); C, cut off from A, asks B alone from
    // when B has 4. What C sees of B: the chunks B has written, the rest coming, then complete.
    const writtenAtB: number[] = []
    const b = runFetch({ chunks: 32, chunkSize: 64 * 1024, holders: { A: { msPerChunk: 60 } }, onWritten: (_i, t) => { writtenAtB.push(t) } })
    const bDoneMs = b.doneAtMs as number
    expect(bDoneMs).toBeGreaterThan(32 * 60 - 1)
    const order = [...(b.asked.get('A') ?? [])]
    const bitmapOfB = (now: number): { have: Uint8Array, coming: Uint8Array } | undefined => {
      if (now >= bDoneMs) return undefined
      const have = new Uint8Array(32)
      writtenAtB.forEach((t, k) => { if (t <= now) have[order[k] as number] = 1 })
      return { have, coming: Uint8Array.from(have, h => 1 - h) }
    }
    const joinAtMs = writtenAtB[3] as number
    const c = runFetch({ chunks: 32, chunkSize: 64 * 1024, holders: { B: { msPerChunk: 1, joinAtMs, bitmap: bitmapOfB } } })
    expect(c.written.get('B')).toBe(32)
    expect(c.writtenPartial.get('B')).toBeGreaterThanOrEqual(16) // most came while B was partial
    expect(c.doneAtMs).toBeLessThan(bDoneMs + 1_000) // a bitmap refresh or so behind B
    expect(c.duplicates).toBe(0)
  })

  it('take order: chunk order without a seed; with one, whole blocks in an order of the seed\'s, each chunk once', () => {
    const plain = new TakeOrder(10)
    expect(Array.from({ length: 10 }, (_, j) => plain.at(j))).toEqual(all(10))
    const order = (seed: number): number[] => { const o = new TakeOrder(10, seed, 4); return Array.from({ length: 10 }, (_, j) => o.at(j)) }
    const a = order(1)
    expect(sorted(a)).toEqual(all(10))
    expect(a).toEqual(order(1)) // the same seed, the same order
    // Blocks of 4 (the last short) stay whole and in chunk order inside: chunk i comes right after i - 1
    // unless i starts a block.
    const o1 = new TakeOrder(10, 1, 4)
    for (let i = 1; i < 10; i++) if (i % 4 !== 0) expect(o1.positionOf(i)).toBe(o1.positionOf(i - 1) + 1)
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8].map(order).map(String)
    expect(new Set(seeds).size).toBeGreaterThan(1) // seeds give different orders
    const o = new TakeOrder(10, 3, 4)
    for (let i = 0; i < 10; i++) expect(o.at(o.positionOf(i))).toBe(i)
  })

  it('resumes: chunks already here are never asked; a chunk given back (bad, or the disk failed) is taken again', () => {
    const run = runFetch({ chunks: 11, chunkSize: KiB4, have: bits(11, [0, 6]), holders: { h: { msPerChunk: 1 } } })
    expect(sorted(run.asked.get('h') ?? [])).toEqual([6, 7, 8, 9, 10])
    const s = new ChunkScheduler({ chunkSize: KiB4, have: new Uint8Array(3) })
    s.join('h', false)
    const first = s.next('h', 0)
    expect(first).toMatchObject({ kind: 'range', from: 0, to: 3 })
    s.chunkWritten(0)
    s.giveBack(1) // did not verify
    s.chunkWritten(2)
    s.rangeEnded('h', 0, 3, new Set([0, 1, 2]), 0, 1)
    expect(s.next('h', 1)).toMatchObject({ kind: 'range', from: 1, to: 2 })
    expect(s.coming()).toEqual(Uint8Array.from([0, 1, 0]))
    s.chunkWritten(1)
    expect(s.complete).toBe(true)
    expect(s.next('h', 2)).toEqual({ kind: 'stop' })
  })
})
