// What the status page reads of the blob layer: the traffic ledger per peer (both ways, streams
// served, bounded) and the disk use of <dir>/blobs (measured in the background, at most so often).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DISK_USAGE_MAX_AGE_MS, MAX_TRAFFIC_PEERS } from '../../../daemon/blob/constants.js'
import { DiskUsage, maxAgeMs } from '../../../daemon/blob/disk-usage.js'
import { TrafficLedger } from '../../../daemon/blob/peer-traffic.js'

describe('TrafficLedger', () => {
  it('counts bytes both ways and streams served per peer', () => {
    const t = new TrafficLedger()
    t.received('a', 100); t.received('a', 50); t.sent('a', 7)
    t.servingStarted('b'); t.servingStarted('b'); t.sent('b', 1 << 20); t.servingEnded('b')
    expect(t.of('a')).toEqual({ bytesIn: 150, bytesOut: 7, serving: 0 })
    expect(t.of('b')).toEqual({ bytesIn: 0, bytesOut: 1 << 20, serving: 1 })
    expect(t.of('nobody')).toEqual({ bytesIn: 0, bytesOut: 0, serving: 0 })
    t.servingEnded('b'); t.servingEnded('b')
    expect(t.of('b').serving).toBe(0) // never below zero
  })

  it('counts at most MAX_TRAFFIC_PEERS peers', () => {
    const t = new TrafficLedger()
    for (let i = 0; i < MAX_TRAFFIC_PEERS + 5; i++) t.sent(`p${i}`, 1)
    expect(t.of('p0').bytesOut).toBe(1)
    expect(t.of(`p${MAX_TRAFFIC_PEERS + 4}`).bytesOut).toBe(0)
  })
})

describe('DiskUsage', () => {
  let dir: string | undefined
  afterEach(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

  it('sums the files under the blob directory, in the background and at most every DISK_USAGE_MAX_AGE_MS', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-disk-'))
    await mkdir(join(dir, 'final'), { recursive: true })
    await writeFile(join(dir, 'final', 'aa'), Buffer.alloc(3000))
    await writeFile(join(dir, 'm'), Buffer.alloc(24))
    let now = 1_000_000
    const disk = new DiskUsage(dir, { nowMs: () => now })
    await disk.measure()
    expect(disk.snapshot()).toEqual({ blobsBytes: 3024, files: 2, atMs: 1_000_000, tookMs: 0 })
    await writeFile(join(dir, 'final', 'bb'), Buffer.alloc(1000))
    now += DISK_USAGE_MAX_AGE_MS - 1
    expect(disk.snapshot()?.blobsBytes).toBe(3024) // fresh enough: not measured again
    now += 1
    disk.snapshot() // stale: starts a measurement and answers the last one meanwhile
    await new Promise(resolve => setImmediate(resolve))
    await disk.measure()
    expect(disk.snapshot()?.blobsBytes).toBe(4024)
  })

  it('a walk that took long stays fresh a hundred times as long: at most about 1 % of the time is spent walking', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-disk-'))
    await writeFile(join(dir, 'aa'), Buffer.alloc(10))
    // The clock moves 500 ms while the walk runs (as a million files would take).
    let now = 1_000_000
    const disk = new DiskUsage(dir, { nowMs: () => { const t = now; now += 500; return t } })
    await disk.measure()
    expect(disk.snapshot()).toMatchObject({ blobsBytes: 10, tookMs: 500 })
    expect(maxAgeMs(500)).toBe(50_000)
    expect(maxAgeMs(3)).toBe(DISK_USAGE_MAX_AGE_MS)
    await writeFile(join(dir, 'bb'), Buffer.alloc(5))
    now = 1_000_500 + 49_000 // past the 10 s floor, not past 100 × 500 ms
    expect(disk.snapshot()?.blobsBytes).toBe(10)
    await new Promise(resolve => setImmediate(resolve))
    now = 1_000_500 + 50_000
    disk.snapshot()
    await disk.measure()
    expect(disk.snapshot()?.blobsBytes).toBe(15)
  })

  it('a missing directory is 0 bytes', async () => {
    const disk = new DiskUsage(join(tmpdir(), 'mycel-no-such-dir-' + String(process.pid)), { nowMs: () => 5 })
    expect(disk.snapshot()).toBeNull()
    await disk.measure()
    expect(disk.snapshot()).toEqual({ blobsBytes: 0, files: 0, atMs: 5, tookMs: 0 })
  })
})
