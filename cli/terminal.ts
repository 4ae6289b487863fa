// What the CLI may draw, decided in one place. Progress lines are `\r`-redrawn on stderr, so they
// follow stderr's terminal check, not stdout's: `mycel fetch -o - KEY | tar x` still shows progress on
// the terminal, `2>log` gets none; a TERM=dumb terminal gets none either. Colour (only `status`'s
// warnings have any) follows stdout's terminal and the NO_COLOR convention (no-color.org): NO_COLOR set
// to anything but the empty string means no ANSI colour at all.
import type { CommandContext } from './command.js'

type Terminal = Pick<CommandContext, 'isTTY' | 'errIsTTY' | 'env' | 'options'>

/** A progress line on stderr: stderr is a terminal that can redraw a line, and the output is for a person. */
export function drawsProgress (ctx: Terminal): boolean {
  return ctx.errIsTTY === true && ctx.env.TERM !== 'dumb' && ctx.options.json !== true
}

/** ANSI colour on stdout. */
export function usesColour (ctx: Terminal): boolean {
  return ctx.isTTY && (ctx.env.NO_COLOR ?? '') === '' && ctx.env.TERM !== 'dumb'
}

/** `text` in yellow when `colour`, as it is otherwise. */
export function warningText (text: string, colour: boolean): string {
  return colour ? `\x1b[33m${text}\x1b[39m` : text
}
