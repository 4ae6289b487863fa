import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { Auth, CHALLENGE, parseBasic } from '../../../daemon/registry/auth.js'
import type { Role } from '../../../daemon/registry/backend.js'
import { isRegistryError } from '../../../daemon/registry/errors.js'
import { FAILED_AUTH_WINDOW_MS, MAX_FAILED_AUTH } from '../../../daemon/registry/constants.js'

function req (authorization?: string, address = '10.0.0.1'): IncomingMessage {
  return { headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress: address } } as unknown as IncomingMessage
}

const basic = (creds: string): string => 'Basic ' + Buffer.from(creds).toString('base64')

const ROLES: Record<string, Role> = { 'r:1': 'reader', 'w:2': 'writer', 'a:3': 'admin' }

function refusal (fn: () => unknown): { code: string, status: number, headers: Record<string, string> } {
  try {
    fn()
  } catch (err) {
    if (isRegistryError(err)) return { code: err.code, status: err.status, headers: err.headers }
    throw err
  }
  throw new Error('allowed')
}

describe('auth', () => {
  let now = 0
  const auth = (anonymous?: Role): Auth => new Auth({ ...(anonymous === undefined ? {} : { anonymous }) }, { roleOf: c => ROLES[`${c.user}:${c.secret}`], now: () => now })

  it('parses Basic credentials, secrets with colons included', () => {
    expect(parseBasic(basic('u:p:q'))).toEqual({ user: 'u', secret: 'p:q' })
    expect(parseBasic(undefined)).toBeUndefined()
    expect(() => parseBasic('Bearer abc')).toThrow(/only Basic/)
  })

  it('maps roles: reader pulls, writer pushes, admin deletes', () => {
    const a = auth()
    expect(a.check(req(basic('r:1')), 'reader')).toBe('reader')
    expect(a.check(req(basic('w:2')), 'writer')).toBe('writer')
    expect(a.check(req(basic('a:3')), 'admin')).toBe('admin')
    expect(refusal(() => a.check(req(basic('r:1')), 'writer'))).toMatchObject({ code: 'DENIED', status: 403 })
    expect(refusal(() => a.check(req(basic('w:2')), 'admin'))).toMatchObject({ code: 'DENIED', status: 403 })
  })

  it('answers 401 with the Basic challenge without or with wrong credentials', () => {
    const a = auth()
    expect(refusal(() => a.check(req(), 'reader'))).toMatchObject({ code: 'UNAUTHORIZED', status: 401, headers: { 'www-authenticate': CHALLENGE } })
    expect(refusal(() => a.check(req(basic('r:wrong')), 'reader'))).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
  })

  it('lets anonymous callers pull when configured, and challenges them to push', () => {
    const a = auth('reader')
    expect(a.check(req(), 'reader')).toBe('reader')
    expect(refusal(() => a.check(req(), 'writer'))).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
  })

  it('slows down an address guessing secrets (429), not the others, and forgets after the window', () => {
    const a = auth()
    for (let i = 0; i < MAX_FAILED_AUTH; i++) refusal(() => a.check(req(basic('r:guess' + i)), 'reader'))
    const blocked = refusal(() => a.check(req(basic('r:1')), 'reader'))
    expect(blocked).toMatchObject({ code: 'TOOMANYREQUESTS', status: 429 })
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    expect(a.check(req(basic('r:1'), '10.0.0.2'), 'reader')).toBe('reader')
    now += FAILED_AUTH_WINDOW_MS + 1
    expect(a.check(req(basic('r:1')), 'reader')).toBe('reader')
  })
})
