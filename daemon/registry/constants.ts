// Every limit of the registry, together, each with why it is what it is. A
// site's registry faces clients it does not control, so everything a request
// can make grow (sessions, bodies, pages, scans) stops at a number here.
// `RegistryLimits` lets the wiring override the ones an operator may want to
// tune; the rest are facts of the protocol or of mycel's metadata.

const MiB = 1024 * 1024

/** Longest repository name. The spec's note: many clients cap `host/name` at 255 characters; a key holds it with room to spare (mycel keys are ≤ 1024 bytes). */
export const MAX_NAME_CHARS = 255

/** Longest tag: the spec's tag grammar allows 1 + 127 characters. */
export const MAX_TAG_CHARS = 128

/** Largest manifest accepted. The spec asks registries to take at least 4 MB; larger is refused with 413. Manifests are parsed in memory. */
export const MAX_MANIFEST_BYTES = 4 * MiB

/** Longest media type or artifactType (RFC 6838: 127 + "/" + 127); it goes into a prop of ≤ 1024 bytes. */
export const MAX_MEDIA_TYPE_CHARS = 255

/**
 * Descriptors a manifest may reference (config + layers, or an index's manifests). Every site learns
 * them from metadata alone: they travel in the manifest key's props as bare hex, 65 bytes each, and a
 * mycel event is at most 16 KiB encoded (protocol/limits.ts MAX_EVENT_BYTES). 160 digests are ~10.4 KB,
 * leaving room for the key, annotations (≤ 1 KiB), artifactType, subject and the event's own fields.
 * Docker caps images at 127 layers (+ a config).
 */
export const MAX_MANIFEST_REFS = 160

/** Default largest blob one upload may write (config `registry.maxBlobBytes`); the blob layer's own cap (64 GiB) still applies. */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 ** 3

/** Default upload sessions open at once on a site; beyond, POST answers 429 TOOMANYREQUESTS. Each holds a file handle and a temp file. */
export const DEFAULT_MAX_UPLOAD_SESSIONS = 64

/** Default idle time after which an upload session is dropped (its bytes deleted): a client that went away must not hold disk forever. */
export const DEFAULT_UPLOAD_IDLE_MS = 10 * 60_000

/** Default bytes all open upload sessions may hold together before new sessions are refused (429). */
export const DEFAULT_MAX_UPLOAD_BYTES_TOTAL = 256 * 1024 ** 3

/** Largest body of requests that are not blob bytes (none is expected; this stops a client from streaming into them). */
export const MAX_SMALL_BODY_BYTES = 64 * 1024

/** Default and largest page of tags, catalog entries or referrers. The answer is built in memory. */
export const DEFAULT_PAGE_SIZE = 1000
export const MAX_PAGE_SIZE = 10_000

/** Default grace before a blob key no live manifest references is deleted (config `registry.gcGraceMs`): a push uploads its layers before its manifest, and may take long. */
export const DEFAULT_GC_GRACE_MS = 60 * 60_000

/** Default period of the garbage pass. */
export const DEFAULT_GC_INTERVAL_MS = 5 * 60_000

/** Keys one garbage pass deletes or repairs at most; the next pass goes on. Bounds the burst of events one pass gossips. */
export const MAX_GC_WRITES_PER_PASS = 1000

/** Keys one garbage pass reads at most per listKeys call. */
export const GC_LIST_BATCH = 1000

/** Concurrent connections to the registry; beyond, node:http drops new ones. Bounds file descriptors. */
export const MAX_CONNECTIONS = 256

/** Failed logins per client address within FAILED_AUTH_WINDOW_MS before it gets 429 TOOMANYREQUESTS (guessing secrets stays slow). */
export const MAX_FAILED_AUTH = 20
export const FAILED_AUTH_WINDOW_MS = 60_000

/** Client addresses whose failed logins are remembered; the oldest is forgotten first. */
export const MAX_FAILED_AUTH_ADDRESSES = 4096

/** Tags one manifest PUT by digest may set with `?tag=` (the spec asks for at least 10). */
export const MAX_TAGS_PER_PUT = 16

/** A stored annotations prop larger than this is not kept in metadata; the referrers answer reads the manifest body instead. mycel props are ≤ 1024 bytes. */
export const MAX_ANNOTATIONS_PROP_BYTES = 1024
