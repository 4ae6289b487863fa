// `mycel completion bash|zsh`: prints a shell completion script generated from the command table
// (cli/completion.ts). The table is handed in, not imported, since the table lists this command too.
import { completionScript, SHELLS, type Shell } from '../completion.js'
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { MycelError } from '../../protocol/errors.js'

export function completionCommand (table: () => Promise<readonly Command[]>): Command {
  return {
    name: 'completion',
    summary: 'print a shell completion script: mycel completion bash|zsh',
    positionals: [{ name: 'SHELL', description: 'bash or zsh', choices: SHELLS }],
    options: {},
    details: `bash: mycel completion bash > /etc/bash_completion.d/mycel   (or in ~/.bashrc: source <(mycel completion bash))
zsh:  mycel completion zsh > "\${fpath[1]}/_mycel"   (or in ~/.zshrc, after compinit: source <(mycel completion zsh))`,
    async run (ctx) {
      const shell = ctx.positionals[0] as string
      if (!(SHELLS as readonly string[]).includes(shell)) throw MycelError.usage(`no completion for '${shell}': bash or zsh`)
      ctx.out.write(completionScript(shell as Shell, await table()))
      return EXIT.OK
    }
  }
}
