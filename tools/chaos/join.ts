// The one place the harnesses get an invite from a member and turn it into
// daemon arguments, so the join flow (today's unsigned token; federation's
// signed `mycel2…` token with a role next) changes with one edit. Used by the
// chaos run and the benchmarks; joiners must be able to publish (writers).

import type { Node } from '../../test/helpers/daemons.js'

export async function joinArgsVia (inviter: Node): Promise<string[]> {
  const token = await inviter.invite()
  return ['--join', token]
}
