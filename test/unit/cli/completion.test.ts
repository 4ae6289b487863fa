// `mycel completion bash|zsh`: scripts generated from the command table. The bash one is run for real
// (bash is on every machine here): sourced, then asked what completes a few command lines. The zsh one
// is checked for every command and option, and for syntax when zsh is installed.
import { execFileSync, spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { loadCommands } from '../../../cli/commands/index.js'
import { completionScript } from '../../../cli/completion.js'
import { run } from '../../../cli/run.js'

async function mycel (argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { out: { write: t => { out += t } }, err: { write: t => { err += t } }, env: {}, isTTY: false })
  return { code, out, err }
}

/** What bash's completion offers for the words typed so far (the last one is being completed). */
function bashComplete (script: string, words: string[]): string[] {
  const array = words.map(w => `'${w}'`).join(' ')
  const probe = `${script}\nCOMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _mycel; printf '%s\\n' "\${COMPREPLY[@]}"`
  return execFileSync('bash', ['--norc', '--noprofile', '-c', probe], { encoding: 'utf8', cwd: '/' }).split('\n').filter(l => l !== '')
}

const commands = await loadCommands()

describe('shell completion', () => {
  it('mycel completion bash|zsh prints the script; another shell is a usage error', async () => {
    const bash = await mycel(['completion', 'bash'])
    expect(bash.code).toBe(0)
    expect(bash.out).toContain('complete -o default -F _mycel mycel')
    const zsh = await mycel(['completion', 'zsh'])
    expect(zsh.out.startsWith('#compdef mycel\n')).toBe(true)
    const fish = await mycel(['completion', 'fish'])
    expect(fish.code).toBe(2)
    expect(fish.err).toContain("no completion for 'fish'")
  })

  it('bash: commands, their options, global options before the command, and closed sets of values', () => {
    const script = completionScript('bash', commands)
    expect(bashComplete(script, ['mycel', 'inv'])).toEqual(['invite'])
    expect(bashComplete(script, ['mycel', ''])).toEqual(expect.arrayContaining(commands.map(c => c.name)))
    expect(bashComplete(script, ['mycel', '--dir', '/tmp', 'st'])).toEqual(['status'])
    expect(bashComplete(script, ['mycel', 'invite', '--ro'])).toEqual(['--role'])
    expect(bashComplete(script, ['mycel', 'invite', '--role', ''])).toEqual(['reader', 'writer', 'admin'])
    expect(bashComplete(script, ['mycel', 'daemon', '--join'])).toEqual(['--join', '--join-file'])
    expect(bashComplete(script, ['mycel', 'sim', '--scenario', 'ch'])).toEqual(['churn', 'chaos'])
    expect(bashComplete(script, ['mycel', 'completion', ''])).toEqual(['bash', 'zsh'])
    expect(bashComplete(script, ['mycel', 'status', '--j'])).toEqual(['--json'])
    expect(bashComplete(script, ['mycel', '--dir', ''])).toContain('tmp')
  })

  it('zsh: every command with its summary and every option of every command', () => {
    const script = completionScript('zsh', commands)
    for (const c of commands) {
      expect(script).toContain(`'${c.name}:`)
      expect(script).toContain(`      ${c.name}) _arguments`)
      for (const name of Object.keys(c.options)) expect(script).toMatch(new RegExp(`--${name}(\\}')?\\[`))
    }
    expect(script).toContain('(reader writer admin)')
    const zsh = spawnSync('zsh', ['-n'], { input: script })
    if (zsh.error === undefined) expect(zsh.status, zsh.stderr.toString()).toBe(0) // only where zsh is installed
  })
})
