// Joiners a full inviter still accepts (invitees.ts): for INVITEE_GRACE_MS after their admission, and at
// most MAX_INVITEES of them, the oldest forgotten first.
import { describe, expect, it } from 'vitest'
import { INVITEE_GRACE_MS, Invitees, MAX_INVITEES } from '../../../daemon/net/invitees.js'

describe('invitees', () => {
  it('a joiner counts from its admission for the grace period, not after', () => {
    const inv = new Invitees()
    inv.add('p', 1_000)
    expect(inv.has('p', 1_000 + INVITEE_GRACE_MS - 1)).toBe(true)
    expect(inv.has('p', 1_000 + INVITEE_GRACE_MS)).toBe(false)
    expect(inv.has('q', 1_000)).toBe(false)
  })

  it('keeps at most MAX_INVITEES, dropping the oldest; admitted again, a joiner is the newest', () => {
    const inv = new Invitees()
    for (let i = 0; i < MAX_INVITEES; i++) inv.add(`p${i}`, i)
    inv.add('p0', MAX_INVITEES) // admitted again: now the newest
    inv.add('new', MAX_INVITEES + 1)
    expect(inv.has('p1', MAX_INVITEES + 1)).toBe(false)
    expect(inv.has('p0', MAX_INVITEES + 1)).toBe(true)
    expect(inv.has('new', MAX_INVITEES + 1)).toBe(true)
    expect(inv.has(`p${MAX_INVITEES - 1}`, MAX_INVITEES + 1)).toBe(true)
  })
})
