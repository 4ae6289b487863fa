// Logger: one JSON line per entry, levels, child fields.
import { describe, expect, it } from 'vitest'
import { Logger } from '../../../daemon/log.js'

describe('Logger', () => {
  it('writes JSON lines at or above its level, with base fields, errors and bigints made printable', () => {
    const lines: string[] = []
    const log = new Logger({ level: 'info', write: l => lines.push(l), now: () => 0 }).child({ peer: 'p1' })
    log.debug('hidden')
    log.info('shown', { n: 1, stamp: 5n })
    log.error('failed', { err: Object.assign(new Error('boom'), { code: 'EIO' }) })
    expect(lines).toHaveLength(2)
    expect(lines.every(l => l.endsWith('\n'))).toBe(true)
    expect(JSON.parse(lines[0])).toEqual({ ts: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'shown', peer: 'p1', n: 1, stamp: '5' })
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'error', err: { message: 'boom', code: 'EIO' } })
  })
})
