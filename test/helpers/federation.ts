// Shared steps of the federation tests (real daemons via daemons.ts).

import { spawn } from 'node:child_process'
import * as cbor from '@ipld/dag-cbor'
import { base64url } from 'multiformats/bases/base64'
import { inviteFromText } from '../../protocol/invite.js'
import { MAIN, Node } from './daemons.js'

export interface Failed { code: number | null, error: { code: string, message: string, reason?: string } }

/**
 * Runs `mycel daemon --join TOKEN ...` on a fresh data dir and expects it to
 * exit (a refused join does, before it is ready); kills it after timeoutMs.
 */
export async function joinFails (token: string, extra: string[] = [], timeoutMs = 20_000): Promise<Failed> {
  const node = await Node.create()
  try {
    const proc = spawn(process.execPath, [MAIN, 'daemon', '--dir', node.dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--json', '--join', token, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    proc.stderr.resume()
    const timer = setTimeout(() => { proc.kill('SIGKILL') }, timeoutMs)
    const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
    clearTimeout(timer)
    const line = stdout.split('\n').find(l => l.startsWith('{"error"'))
    if (line === undefined) throw new Error(`no error line (exit ${String(code)}): ${stdout}`)
    return { code, error: (JSON.parse(line) as Failed).error }
  } finally {
    await node.destroy()
  }
}

/** The token with its role raised to admin, keeping the inviter's signature over the original. */
export function tamper (text: string): string {
  const inv = inviteFromText(text)
  const t = cbor.decode(inv.signed) as Record<string, unknown>
  t.role = 'admin'
  return 'mycel2' + base64url.baseEncode(cbor.encode({ t: cbor.encode(t), g: inv.sig, k: inv.secret as Uint8Array }))
}

export interface StatusView { peerId: string, federation: string, role: string | null, peers: Array<{ peerId: string }>, stats: { rejected: number, net: { bans: number, strikes: number }, join?: Record<string, number>, gate?: Record<string, number> } }

export async function status (n: Node): Promise<StatusView> {
  return (await n.api<StatusView>('GET', '/v1/status')).body
}

export interface MemberView { peerId: string, name: string | null, role: string | null, invitedBy: string | null, revoked: boolean }

export async function members (n: Node): Promise<MemberView[]> {
  return (await n.api<MemberView[]>('GET', '/v1/members')).body
}

export function addrOf (n: Node): string {
  return n.ready?.listen[0] ?? ''
}
