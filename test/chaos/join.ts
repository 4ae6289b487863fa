// The one place the harnesses turn an invite token into daemon arguments, so
// the join flow (today's unsigned token; federation's signed `mycel1…` token
// next) changes with one edit. Used by the chaos run and the benchmarks.

export function joinArgs (token: string): string[] {
  return ['--join', token]
}
