// A fetch in virtual time: the blob layer's ChunkScheduler driven the way
// fetcher.ts drives it — lanes per holder asking next(), bitmaps asked when
// due, chunks handed back as they arrive — against simulated holders on the
// simulator's event queue. A holder serves one request at a time at a chunk
// rate of its own, as a blob server serves a stream, and may lie (corrupt
// chunks), stall (the channel's stall timeout drops it), refuse ranges, or
// have only part of the blob. Nothing here sleeps; a run of minutes of
// virtual time takes milliseconds, and the same inputs give the same run.

import { ChunkScheduler, type ChunkSchedulerInit } from '../../daemon/blob/chunk-scheduler.js'
import type { ChunkBitmap } from '../../daemon/blob/client.js'
import { MAX_BAD_CHUNKS_PER_HOLDER, STALL_TIMEOUT_MS } from '../../daemon/blob/constants.js'
import { EventQueue } from '../../sim/event-queue.js'

/** A bitmap request's round trip, and opening a channel (virtual ms). */
const BITMAP_RTT_MS = 1
const OPEN_RTT_MS = 1

export interface HolderSpec {
  /** Milliseconds per chunk it sends. */
  msPerChunk: number
  /** It joins the fetch this long after the start (its have answer came later). */
  joinAtMs?: number
  /** It has part of the blob only: its bitmap when asked (undefined once it has all of it). */
  bitmap?: (nowMs: number) => ChunkBitmap | undefined
  /** Every chunk it sends fails verification. */
  lies?: boolean
  /** It sends nothing more after this many chunks; the channel's stall timeout then drops it. */
  stallAfterChunks?: number
  /** It refuses this range (NOT_FOUND: its bitmap showed chunks it no longer has). */
  refuses?: (from: number, to: number, nowMs: number) => boolean
}

export interface FetchSetup extends Omit<ChunkSchedulerInit, 'have'> {
  chunks: number
  holders: Record<string, HolderSpec>
  /** Chunks here before the start. */
  have?: Uint8Array
  /** Stop the run here (virtual ms) if it has not finished. Default 10 minutes. */
  untilMs?: number
  /** Told of every chunk written here, with the time (for a fetch that feeds another's bitmap). */
  onWritten?: (i: number, nowMs: number) => void
}

export interface FetchRun {
  /** When the last chunk was written, or undefined if the run ended first. */
  doneAtMs: number | undefined
  /** Chunks asked of each holder, in the order asked (a stolen chunk appears under both holders). */
  asked: Map<string, number[]>
  /** Chunks written here, by the holder they came from. */
  written: Map<string, number>
  /** Chunks written from each holder while it was a partial holder. */
  writtenPartial: Map<string, number>
  duplicates: number
  badChunks: number
  endgameChunks: number
  /** Holders dropped, and why. */
  failed: Map<string, string>
  bitmapsAsked: Map<string, number>
  /** The most ranges, and the most chunks, asked and not yet answered at once (all holders together). */
  maxRangesOut: number
  maxChunksOnTheWay: number
  /** The most ranges out to one holder at once. */
  maxRangesOf: Map<string, number>
  scheduler: ChunkScheduler
  queue: EventQueue
}

interface OpenRange { from: number, to: number, askedMs: number, received: Set<number>, ended: boolean }

interface HolderState {
  peer: string
  spec: HolderSpec
  lanes: number
  /** When its server is free to send the next chunk. */
  busyUntil: number
  sent: number
  failed: boolean
  open: Set<OpenRange>
  bad: number
  /** Lanes waiting for its bitmap answer. */
  refreshing?: Array<() => void>
}

export function runFetch (setup: FetchSetup): FetchRun {
  const queue = new EventQueue()
  const have = setup.have ?? new Uint8Array(setup.chunks)
  const sched = new ChunkScheduler({ ...setup, have })
  const run: FetchRun = {
    doneAtMs: sched.complete ? 0 : undefined,
    asked: new Map(),
    written: new Map(),
    writtenPartial: new Map(),
    duplicates: 0,
    badChunks: 0,
    endgameChunks: 0,
    failed: new Map(),
    bitmapsAsked: new Map(),
    maxRangesOut: 0,
    maxChunksOnTheWay: 0,
    maxRangesOf: new Map(),
    scheduler: sched,
    queue
  }
  const now = (): number => queue.now()
  let rangesOut = 0
  let chunksOnTheWay = 0
  const rangesOf = new Map<string, number>()
  /** Lanes waiting for a change: each wakes at most once (by a change or its timeout). */
  let waiting: Array<() => void> = []
  const wake = (): void => { for (const w of waiting.splice(0)) queue.at(now(), w) }
  const add = (m: Map<string, number>, k: string, n = 1): void => { m.set(k, (m.get(k) ?? 0) + n) }

  const endRange = (h: HolderState, r: OpenRange): void => {
    if (r.ended) return
    r.ended = true
    h.open.delete(r)
    rangesOut--
    add(rangesOf, h.peer, -1)
    chunksOnTheWay -= (r.to - r.from) - r.received.size
    sched.rangeEnded(h.peer, r.from, r.to, r.received, r.askedMs, now())
    wake()
  }

  const fail = (h: HolderState, why: string): void => {
    if (h.failed) return
    h.failed = true
    run.failed.set(h.peer, why)
    for (const r of [...h.open]) endRange(h, r)
    sched.leave(h.peer) // as fetcher.ts: the first lane to fail ends the holder's worker
    wake()
  }

  const laneEnded = (h: HolderState): void => {
    if (--h.lanes === 0) { sched.leave(h.peer); wake() }
  }

  const arrive = (h: HolderState, r: OpenRange, i: number): void => {
    if (r.ended || h.failed) return
    r.received.add(i)
    chunksOnTheWay--
    if (sched.has(i)) { run.duplicates++; return }
    if (h.spec.lies === true) {
      run.badChunks++
      sched.giveBack(i)
      wake()
      if (++h.bad >= MAX_BAD_CHUNKS_PER_HOLDER) fail(h, `${h.bad} chunks that did not match the manifest`)
      return
    }
    sched.chunkWritten(i)
    add(run.written, h.peer)
    if (sched.isPartial(h.peer)) add(run.writtenPartial, h.peer)
    setup.onWritten?.(i, now())
    if (sched.complete && run.doneAtMs === undefined) { run.doneAtMs = now(); sched.end() }
    wake()
  }

  const ask = (h: HolderState, from: number, to: number): void => {
    const r: OpenRange = { from, to, askedMs: now(), received: new Set(), ended: false }
    h.open.add(r)
    rangesOut++
    add(rangesOf, h.peer)
    chunksOnTheWay += to - from
    run.maxRangesOut = Math.max(run.maxRangesOut, rangesOut)
    run.maxChunksOnTheWay = Math.max(run.maxChunksOnTheWay, chunksOnTheWay)
    run.maxRangesOf.set(h.peer, Math.max(run.maxRangesOf.get(h.peer) ?? 0, rangesOf.get(h.peer) ?? 0))
    for (let i = from; i < to; i++) run.asked.set(h.peer, [...(run.asked.get(h.peer) ?? []), i])
    if (h.spec.refuses?.(from, to, now()) === true) {
      queue.after(1, () => {
        if (r.ended) return
        if (!sched.refused(h.peer)) fail(h, 'refused too many ranges')
        else endRange(h, r)
        lane(h)
      })
      return
    }
    // One request at a time per stream: this range's chunks follow whatever the holder is sending.
    let t = Math.max(now(), h.busyUntil)
    for (let i = from; i < to; i++) {
      if (h.spec.stallAfterChunks !== undefined && h.sent >= h.spec.stallAfterChunks) {
        // Nothing more comes: the channel's stall timeout cuts the holder off.
        queue.at(t + STALL_TIMEOUT_MS, () => { fail(h, 'stalled') })
        h.busyUntil = Infinity
        return
      }
      t += h.spec.msPerChunk
      h.sent++
      const chunk = i
      queue.at(t, () => { arrive(h, r, chunk) })
    }
    h.busyUntil = t
    queue.at(t, () => { if (!r.ended) { endRange(h, r); lane(h) } })
  }

  const refresh = (h: HolderState, then: () => void): void => {
    if (h.refreshing !== undefined) { h.refreshing.push(then); return }
    h.refreshing = [then]
    add(run.bitmapsAsked, h.peer)
    queue.after(BITMAP_RTT_MS, () => {
      sched.bitmapAnswered(h.peer, h.spec.bitmap?.(now()), now())
      const waiters = h.refreshing ?? []
      h.refreshing = undefined
      for (const w of waiters) w()
    })
  }

  /** One turn of a lane, as fetcher.ts lane() runs it. */
  const lane = (h: HolderState): void => {
    if (h.failed) { laneEnded(h); return }
    if (sched.bitmapDue(h.peer, now())) { refresh(h, () => { lane(h) }); return }
    const step = sched.next(h.peer, now())
    if (step.kind === 'stop') { laneEnded(h); return }
    if (step.kind === 'wait') {
      let woken = false
      const go = (): void => { if (!woken) { woken = true; lane(h) } }
      if (step.until === 'change') waiting.push(go)
      queue.after(step.ms, go)
      return
    }
    if (step.stolen) run.endgameChunks += step.to - step.from
    ask(h, step.from, step.to)
  }

  for (const [peer, spec] of Object.entries(setup.holders)) {
    queue.at(spec.joinAtMs ?? 0, () => {
      const h: HolderState = { peer, spec, lanes: sched.lanes, busyUntil: 0, sent: 0, failed: false, open: new Set(), bad: 0 }
      sched.join(peer, spec.bitmap !== undefined)
      // Its lanes start once its channel is open, as fetcher.ts work() does.
      queue.after(OPEN_RTT_MS, () => { for (let k = 0; k < sched.lanes; k++) lane(h) })
    })
  }
  queue.runUntil(setup.untilMs ?? 600_000, () => run.doneAtMs !== undefined)
  waiting = []
  return run
}

/** A bitmap with chunks [from, to) set. */
export function bits (chunks: number, ...runs: Array<[number, number]>): Uint8Array {
  const b = new Uint8Array(chunks)
  for (const [from, to] of runs) b.fill(1, from, to)
  return b
}
