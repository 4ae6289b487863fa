// A test-only fault injector for links between real daemons: when the daemon
// is started with MYCEL_TEST_LINK_FAULTS=<file> (read by switches.ts), it polls that file and treats
// every peer id listed in it (one per line) as cut off — the mesh closes the
// sessions and connection with it, neither dials it nor accepts it (through the
// mesh's isAllowed gate and revalidate()). Removing the line heals the link.
// The chaos harness (tools/chaos/) writes these files; see docs/chaos.md.
// Without the variable nothing here runs.

import { readFile } from 'node:fs/promises'
import type { Logger } from '../log.js'

/** How often the control file is read: small next to the harness's fault durations (seconds). */
const POLL_MS = 50

/** Longest control file read; a few hundred peer ids at most in any test. */
const MAX_FILE_BYTES = 64 * 1024

export interface LinkFaultsInit {
  file: string
}

export interface LinkFaultsComponents {
  log: Logger
  /** Called after the blocked set changed: re-apply `allows` to current sessions. */
  changed: () => void
}

export class LinkFaults {
  private readonly init: LinkFaultsInit
  private readonly c: LinkFaultsComponents
  private blocked = new Set<string>()
  private last = ''
  private timer: NodeJS.Timeout | undefined
  private reading = false

  constructor (init: LinkFaultsInit, components: LinkFaultsComponents) {
    this.init = init
    this.c = components
  }

  allows (peer: string): boolean {
    return !this.blocked.has(peer)
  }

  /** Reads the file once (so a cut set before the start holds from the first dial), then polls. */
  async start (): Promise<void> {
    this.c.log.warn('test link faults enabled', { file: this.init.file })
    await this.poll()
    this.timer = setInterval(() => { void this.poll() }, POLL_MS)
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private async poll (): Promise<void> {
    if (this.reading) return
    this.reading = true
    try {
      let text = ''
      try {
        text = (await readFile(this.init.file, 'utf8')).slice(0, MAX_FILE_BYTES)
      } catch {
        text = '' // no file: no faults
      }
      if (text === this.last) return
      this.last = text
      this.blocked = new Set(text.split('\n').map(l => l.trim()).filter(l => l !== ''))
      this.c.log.info('link faults changed', { blocked: [...this.blocked].map(p => p.slice(-8)) })
      this.c.changed()
    } finally {
      this.reading = false
    }
  }
}
