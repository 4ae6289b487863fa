// `mycel sim` in-process through the real argument parser and error mapping.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { run } from '../../cli/run.js'

async function mycel (...argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { out: { write: s => { out += s } }, err: { write: s => { err += s } }, env: {}, isTTY: false })
  return { code, out, err }
}

describe('mycel sim', () => {
  it('--json prints one object with the contract fields and exits 0 when all invariants hold', async () => {
    const { code, out } = await mycel('sim', '--seed', '3', '--nodes', '4', '--writes', '60', '--duration', '1s', '--scenario', 'partition-heal', '--json')
    expect(code).toBe(0)
    const lines = out.trim().split('\n')
    expect(lines).toHaveLength(1)
    const r = JSON.parse(lines[0] as string)
    for (const f of ['seed', 'nodes', 'scenario', 'writes', 'acknowledged', 'messages', 'bytes', 'msgsPerWrite', 'latencyP50Ms', 'latencyMaxMs', 'convergedAfterHealMs', 'violations', 'ok', 'wallMs']) {
      expect(r).toHaveProperty(f)
    }
    expect(r).toMatchObject({ seed: 3, nodes: 4, scenario: 'partition-heal', writes: 60, acknowledged: 60, violations: [], ok: true })
  })

  it('human output starts with the seed and every knob, then the summary and the chart', async () => {
    const { code, out } = await mycel('sim', '--seed', '11', '--nodes', '5', '--writes', '50', '--rate', '25', '--latency', '100ms', '--scenario', 'chaos')
    expect(code).toBe(0)
    expect(out.split('\n')[0]).toBe('seed 11  scenario chaos  nodes 5')
    expect(out).toMatch(/^network {4}latency 100ms/m)
    expect(out).toMatch(/^faults {5}\d+:/m)
    expect(out).toMatch(/% of live nodes holding the final state/)
    expect(out).toMatch(/\^ heal at 2\.00s/)
  })

  it('--report writes an SVG (or an HTML page) of the convergence picture', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-sim-'))
    try {
      const svg = join(dir, 'r.svg')
      const html = join(dir, 'r.html')
      expect((await mycel('sim', '--seed', '2', '--writes', '20', '--duration', '1s', '--report', svg, '--json')).code).toBe(0)
      expect(await readFile(svg, 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/)
      expect((await mycel('sim', '--seed', '2', '--writes', '20', '--duration', '1s', '--report', html)).code).toBe(0)
      expect(await readFile(html, 'utf8')).toMatch(/<!doctype html>[\s\S]*<svg[\s\S]*seed 2 {2}scenario steady/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('--sweep runs seeds 1..N and lists failing seeds (none here)', async () => {
    const { code, out } = await mycel('sim', '--sweep', '5', '--scenario', 'churn', '--nodes', '4', '--writes', '30', '--duration', '1s', '--json')
    expect(code).toBe(0)
    expect(JSON.parse(out)).toMatchObject({ sweep: 5, scenario: 'churn', firstSeed: 1, failedSeeds: [], ok: true })
  })

  it('--scenario rules runs the artifact rules (issue #21): the rule sets in the fault timeline, the rules figures in the summary', async () => {
    const { code, out } = await mycel('sim', '--seed', '7', '--scenario', 'rules', '--nodes', '5', '--writes', '40', '--duration', '2s')
    expect(code).toBe(0)
    expect(out.split('\n')[0]).toBe('seed 7  scenario rules  nodes 5')
    expect(out).toMatch(/^ +0ms {2}rules by an admin that is up: rel\/ immutable; snap\/ keep \d; rep\/ replicas \d$/m)
    expect(out).toMatch(/^rules {8}\d+ writes declined by the rules or roles; \d+ retention deletes; \d+ immutable creates seen acknowledged/m)
    expect(out).toMatch(/^ok: .*first creates win/m)
    const json = JSON.parse((await mycel('sim', '--seed', '7', '--scenario', 'rules', '--nodes', '5', '--writes', '40', '--duration', '2s', '--json')).out)
    expect(json).toMatchObject({ scenario: 'rules', ok: true, detail: { rules: { retentionDeletes: expect.any(Number) } } })
    expect(json.replay).toBe('mycel sim --seed 7 --scenario rules --nodes 5 --writes 40 --rate 20 --latency 50ms --duration 2000ms')
    const open = await mycel('sim', '--scenario', 'rules', '--open')
    expect(open.code).toBe(2)
    expect(open.err).toMatch(/--scenario rules needs a federation/)
  })

  it('bad input is a usage error (exit 2) that names the flag', async () => {
    const cases = [
      ['--nodes', 'many'], ['--nodes', '0'], ['--scenario', 'meteor'], ['--latency', 'soon'], ['--rate', '-3'], ['--sweep', '0']
    ]
    for (const args of cases) {
      const { code, err } = await mycel('sim', ...args)
      expect(code, args.join(' ')).toBe(2)
      expect(err).toMatch(/--nodes|--scenario|scenario|--latency|--rate|--sweep/)
    }
  })
})
