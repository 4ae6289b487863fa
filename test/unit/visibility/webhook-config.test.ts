// A webhook's config entry (checked field by field, never quoting a secret or
// a header value) and the Standard Webhooks signature, against the spec's
// reference library's known answer.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../../daemon/config.js'
import { parseWebhooks, resolveWebhook, webhookName } from '../../../daemon/visibility/webhooks/config.js'
import { parseSecret, signature, standardHeaders } from '../../../daemon/visibility/webhooks/signing.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

describe('webhook config', () => {
  it('takes every field, durations as ms or strings, and checks again to itself', () => {
    const parsed = parseWebhooks([{
      url: 'https://ci.example/hook?token=t', events: ['published'], prefix: 'a/', secret: SECRET, headers: { authorization: 'Bearer x', 'X-Team': 'rel' },
      timeoutMs: '20s', retryInitialMs: 500, retryMaxMs: '2m', retryGiveUpMs: '6h', maxPending: 50, maxPendingBytes: 65536
    }], 'cfg')
    expect(parsed).toEqual([{
      url: 'https://ci.example/hook?token=t', events: ['published'], prefix: 'a/', secret: SECRET, headers: { authorization: 'Bearer x', 'X-Team': 'rel' },
      timeoutMs: 20_000, retryInitialMs: 500, retryMaxMs: 120_000, retryGiveUpMs: 21_600_000, maxPending: 50, maxPendingBytes: 65536
    }])
    expect(parseWebhooks(parsed, 'again')).toEqual(parsed)
    expect(validateConfig({ webhooks: [{ url: 'http://127.0.0.1:1/h' }] }, 'config.json')).toEqual({ webhooks: [{ url: 'http://127.0.0.1:1/h' }] })
    expect(resolveWebhook({ url: 'http://h/' })).toMatchObject({ timeoutMs: 15_000, retryInitialMs: 1000, retryMaxMs: 3_600_000, retryGiveUpMs: 86_400_000, maxPending: 10_000, maxPendingBytes: 16 * 1024 * 1024, headers: {} })
  })

  it('names what is wrong, never a secret or a header value', () => {
    const fail = (entry: unknown): string => {
      try {
        parseWebhooks([entry], 'cfg')
      } catch (err) {
        return (err as Error).message
      }
      throw new Error('accepted')
    }
    expect(() => validateConfig({ webhooks: 'http://x' }, 'config.json')).toThrow(/config.json: "webhooks" must be a list/)
    expect(fail({ url: 'ftp://x' })).toMatch(/\[0\]\.url must be an http/)
    expect(fail({ url: 'http://x', events: ['nope'] })).toMatch(/events must be a list of: published/)
    expect(fail({ url: 'http://x', sekret: 'a' })).toMatch(/unknown field "sekret"/)
    expect(fail({ url: 'http://x', secret: 'too-short-secret' })).toMatch(/secret is 16 bytes; a raw secret must have 24\.\./)
    expect(fail({ url: 'http://x', secret: 'whsec_not base64!!' })).toMatch(/the rest is not base64/)
    expect(fail({ url: 'http://x', secret: 'whsec_c2hvcnQ=' })).toMatch(/whsec_ key of 5 bytes/)
    expect(fail({ url: 'http://x', secret: 'whsec_c2hvcnQ=' })).not.toContain('c2hvcnQ')
    expect(fail({ url: 'http://x', headers: { 'webhook-id': 'x' } })).toMatch(/"webhook-id" is set by mycel itself/)
    expect(fail({ url: 'http://x', headers: { 'bad name': 'x' } })).toMatch(/is not a header name/)
    expect(fail({ url: 'http://x', headers: { authorization: 'Bearer s3cr3t\r\nx: y' } })).not.toContain('s3cr3t')
    expect(fail({ url: 'http://x', retryInitialMs: '1h', retryMaxMs: '1m' })).toMatch(/retryMaxMs must not be below/)
    expect(fail({ url: 'http://x', retryInitialMs: 'soon' })).toMatch(/retryInitialMs must be a duration/)
    expect(fail({ url: 'http://x', maxPending: 0 })).toMatch(/maxPending must be an integer in 1\.\./)
    expect(() => parseWebhooks(Array.from({ length: 17 }, () => ({ url: 'http://x' })), 'cfg')).toThrow(/over the limit of 16/)
  })

  it('a log names a webhook by index and origin only', () => {
    expect(webhookName(3, 'https://user:pw@ci.example:8443/hooks/t0ken?x=1')).toBe('#3 https://ci.example:8443')
  })
})

describe('webhook signatures (Standard Webhooks v1)', () => {
  it('matches the reference library\'s known answer', () => {
    // The sign() test vector of standard-webhooks/libraries/javascript.
    const key = parseSecret(SECRET, 'secret')
    expect(signature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('a raw secret is its UTF-8 bytes; headers carry id, whole seconds and the signature', () => {
    const raw = 'a raw secret of enough length'
    const headers = standardHeaders('msg_x_1', 1_700_000_000_999, '{"a":1}', parseSecret(raw, 's'))
    expect(headers['webhook-id']).toBe('msg_x_1')
    expect(headers['webhook-timestamp']).toBe('1700000000')
    const expected = createHmac('sha256', Buffer.from(raw)).update('msg_x_1.1700000000.{"a":1}').digest()
    const got = Buffer.from((headers['webhook-signature'] as string).replace(/^v1,/, ''), 'base64')
    expect(timingSafeEqual(got, expected)).toBe(true)
    expect(standardHeaders('msg_x_1', 0, '{}', undefined)).toEqual({ 'webhook-id': 'msg_x_1', 'webhook-timestamp': '0' })
  })
})
