// The Byzantine members' attacks by name (byzantine.ts does them): a module of its own so that
// `mycel sim --help` and the knobs can name them without loading the adversary and the crypto it signs with.

export const ATTACKS = ['equivocate', 'backdate', 'replay', 'forge-acks', 'withhold', 'flood', 'overwrite'] as const
export type Attack = typeof ATTACKS[number]
