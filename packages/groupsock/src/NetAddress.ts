import { isIP } from 'node:net';
import { DorsvrError } from '@dorsvr/scheduler';

/** IP version of an address literal: 4, 6, or 0 for anything else (a host name). */
export type AddressFamilyNumber = 0 | 4 | 6;

/** A host (name or IP literal, IPv6 without brackets) and a port. */
export interface HostPort {
  /** Host name or IP literal; IPv6 is given without brackets. */
  host: string;
  /** 0‥65535. */
  port: number;
  /** 4 or 6 for IP literals, 0 for host names. */
  family: AddressFamilyNumber;
}

/** One UDP endpoint: an IP literal and a port. */
export interface UDPEndpoint {
  /** IPv4 or IPv6 literal (IPv6 without brackets). */
  address: string;
  /** 0‥65535. */
  port: number;
}

/** Node's socket type for an IP version. */
export type UDPSocketType = 'udp4' | 'udp6';

const MAX_ADDRESS_LENGTH = 1024;

/** 4 or 6 when `host` is an IPv4/IPv6 literal (without brackets), 0 otherwise. */
export function addressFamily(host: string): AddressFamilyNumber {
  return isIP(host) as AddressFamilyNumber;
}

/** The socket type that can send to `address` (an IP literal); IPv4 unless it is IPv6. */
export function socketTypeFor(address: string): UDPSocketType {
  return isIP(address) === 6 ? 'udp6' : 'udp4';
}

/** The wildcard address of a socket type: `0.0.0.0` or `::`. */
export function anyAddress(type: UDPSocketType): string {
  return type === 'udp6' ? '::' : '0.0.0.0';
}

function ipv4Octets(a: string): number[] | undefined {
  if (isIP(a) !== 4) return undefined;
  return a.split('.').map(Number);
}

/** First 16 bits of an IPv6 literal (zone id ignored), or undefined when not IPv6. */
function ipv6FirstHextet(a: string): number | undefined {
  if (isIP(a) !== 6) return undefined;
  const head = a.split('%')[0]!.split(':')[0]!;
  if (head === '') return 0; // starts with "::"
  return parseInt(head, 16);
}

/** True for IPv4 224.0.0.0/4 and IPv6 ff00::/8 — addresses that name a group, not a host. */
export function isMulticastAddress(address: string): boolean {
  const v4 = ipv4Octets(address);
  if (v4) return v4[0]! >= 224 && v4[0]! <= 239;
  const h = ipv6FirstHextet(address);
  return h !== undefined && h >> 8 === 0xff;
}

/**
 * True for source-specific multicast ranges (RFC 4607): IPv4 232.0.0.0/8 and IPv6 ff3x::/32,
 * where receivers must name the source they want (SSM) rather than join any-source.
 */
export function isSourceSpecificMulticastAddress(address: string): boolean {
  const v4 = ipv4Octets(address);
  if (v4) return v4[0] === 232;
  const h = ipv6FirstHextet(address);
  return h !== undefined && (h & 0xfff0) === 0xff30;
}

function parsePort(text: string, input: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `invalid port in "${input}"`);
  }
  return Number(text);
}

/**
 * Parse `host:port`, `host`, `1.2.3.4:554`, `[::1]:554`, `[::1]` or a bare IPv6 literal `::1`
 * (no port can follow an unbracketed IPv6 address). A missing port takes `defaultPort`;
 * with no default it is an error. Throws a DorsvrError `ERR_GROUPSOCK_ADDRESS` on bad input.
 */
export function parseHostPort(input: string, defaultPort?: number): HostPort {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_ADDRESS_LENGTH) {
    throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', 'address must be a non-empty string of at most 1024 characters');
  }
  let host: string;
  let portText: string | undefined;
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0) throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `unclosed "[" in "${input}"`);
    host = input.slice(1, close);
    const rest = input.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `unexpected text after "]" in "${input}"`);
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `"${host}" in brackets is not an IPv6 address`);
  } else {
    const first = input.indexOf(':');
    if (first >= 0 && input.indexOf(':', first + 1) >= 0) {
      // Two or more colons and no brackets: a bare IPv6 literal.
      host = input;
      if (isIP(host) !== 6) throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `"${input}" is not an IPv6 address (use [addr]:port)`);
    } else if (first >= 0) {
      host = input.slice(0, first);
      portText = input.slice(first + 1);
    } else {
      host = input;
    }
  }
  if (host === '' || /[\s/?#@[\]]/.test(host)) {
    throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `invalid host in "${input}"`);
  }
  let port: number;
  if (portText !== undefined) port = parsePort(portText, input);
  else if (defaultPort !== undefined) port = defaultPort;
  else throw new DorsvrError('ERR_GROUPSOCK_ADDRESS', `no port in "${input}"`);
  return { host, port, family: addressFamily(host) };
}

/** Format a host and port for URLs and logs: `1.2.3.4:554`, `[::1]:554`, `example.com:554`. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
