import { isIP } from 'node:net'

/** IPv4 ranges that are not on the public internet: [first address as a number, prefix length, name]. */
const V4_RANGES: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a protocol-assignment address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
]

const v4Number = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0)

function v4Kind(address: string): string | undefined {
  const n = v4Number(address)
  for (const [first, bits, kind] of V4_RANGES) {
    const size = 2 ** (32 - bits)
    const start = v4Number(first)
    if (n >= start && n < start + size) return kind
  }
  return undefined
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail included). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const n = v4Number(v4[1]!)
    text = `${text.slice(0, -v4[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)))
  const front = parse(head)
  if (tail === undefined) return front
  const back = parse(tail)
  return [...front, ...new Array(8 - front.length - back.length).fill(0), ...back]
}

function v6Kind(address: string): string | undefined {
  const g = v6Groups(address)
  const [a = 0] = g
  if (g.every((x) => x === 0)) return 'the unspecified address'
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'a loopback address'
  // ::ffff:a.b.c.d (IPv4-mapped) and 64:ff9b::a.b.c.d (NAT64) reach the IPv4 address inside.
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff
  const nat64 = a === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)
  if (mapped || nat64) return v4Kind(`${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`)
  if ((a & 0xfe00) === 0xfc00) return 'a unique-local address'
  if ((a & 0xffc0) === 0xfe80) return 'a link-local address'
  if ((a & 0xff00) === 0xff00) return 'a multicast address'
  if (a === 0x2001 && g[1] === 0x0db8) return 'a documentation address'
  return undefined
}

/**
 * What is wrong with sending a webhook to `address`: undefined for an address on the public
 * internet, else what kind it is (loopback, private, link-local, unique-local, …).
 *
 * @example
 * ```ts
 * nonPublicKind('127.0.0.1') // 'a loopback address'
 * nonPublicKind('203.0.114.7') // undefined
 * ```
 */
export function nonPublicKind(address: string): string | undefined {
  const family = isIP(address)
  if (family === 4) return v4Kind(address)
  if (family === 6) return v6Kind(address)
  return 'not an IP address'
}

/**
 * What is wrong with `url` as a webhook endpoint, before any address is looked up; undefined when
 * nothing is. It must be `http:` or `https:`, without credentials, at most 2048 characters.
 *
 * @example
 * ```ts
 * urlProblem('ftp://example.com/') // 'url must be http: or https:, got ftp:'
 * ```
 */
export function urlProblem(url: string): string | undefined {
  if (url.length > 2048) return `url must be at most 2048 characters, got ${url.length}`
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `url must be an absolute http(s) URL, got ${JSON.stringify(url.slice(0, 200))}`
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `url must be http: or https:, got ${parsed.protocol}`
  if (parsed.username !== '' || parsed.password !== '')
    return 'url must not hold credentials (user:password@); authenticate deliveries by their signature'
  if (parsed.hostname === '') return 'url has no host'
  return undefined
}

/** The host of a URL as an address or a name to look up: IPv6 literals without their brackets. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1')
