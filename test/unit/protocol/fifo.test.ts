import { describe, expect, it } from 'vitest'
import { Fifo } from '../../../protocol/fifo.js'

describe('Fifo', () => {
  it('gives items back in the order they came, across its compactions', () => {
    const q = new Fifo<number>()
    const out: number[] = []
    let next = 0
    // Interleaved pushes and shifts over far more than the compaction threshold.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 700; i++) q.push(next++)
      for (let i = 0; i < 500; i++) out.push(q.shift() as number)
    }
    while (q.length > 0) out.push(q.shift() as number)
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i))
    expect(q.shift()).toBeUndefined()
    expect(q.length).toBe(0)
  })

  it('drains a queue of 200 000 (the eager mirror\'s size at start) to the last item', () => {
    const q = new Fifo<string>()
    for (let i = 0; i < 200_000; i++) q.push(`d${i}`)
    let n = 0
    while (q.shift() !== undefined) n++
    expect(n).toBe(200_000)
  })

  it('clear empties it', () => {
    const q = new Fifo<number>()
    q.push(1); q.push(2)
    q.clear()
    expect(q.length).toBe(0)
    expect(q.shift()).toBeUndefined()
  })
})
