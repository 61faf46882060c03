/**
 * Strict parsing and arithmetic of addresses and CIDR prefixes.
 *
 * Everything the control plane stores or renders passes through here, so the accepted text is
 * exactly one canonical spelling per value: no whitespace, no leading zeros, no host bits. That
 * makes string equality mean prefix equality and keeps rendered configs free of surprises.
 *
 * IPv4 only for now. The arithmetic works on `bigint` through an `AddressFamily` descriptor, so
 * IPv6 is one more descriptor (picked by the presence of ':') rather than a rewrite.
 */
import ipaddr from 'ipaddr.js';
import { ValidationError } from './errors';

interface AddressFamily {
  name: string;
  bits: number;
  example: string;
  /** Parses canonical address text; throws ValidationError naming `field`. */
  parseAddress(text: string, field: string): bigint;
  formatAddress(value: bigint): string;
}

interface ParsedCidr {
  family: AddressFamily;
  length: number;
  first: bigint;
  last: bigint;
}

/** Longer than any canonical address or prefix of a supported family: refused before any parsing. */
const MAX_TEXT_LENGTH = 64;
const IPV4_OCTET_SHAPE = /^[0-9]{1,3}$/;
const PREFIX_LENGTH_SHAPE = /^[0-9]{1,3}$/;

const IPV4: AddressFamily = {
  name: 'IPv4',
  bits: 32,
  example: '10.0.0.0/16',
  parseAddress(text, field) {
    const octets = text.split('.');
    if (octets.length !== 4 || !octets.every((octet) => IPV4_OCTET_SHAPE.test(octet))) {
      throw new ValidationError('must be a dotted-quad IPv4 address such as 10.0.0.1', field);
    }
    if (octets.some((octet) => octet.length > 1 && octet.startsWith('0'))) {
      // Leading zeros are read as octal by some tools (inet_aton): refuse rather than guess.
      throw new ValidationError('must not contain leading zeros in an octet', field);
    }
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
      throw new ValidationError('every octet must be between 0 and 255', field);
    }
    return BigInt(
      ipaddr.IPv4.parse(text)
        .toByteArray()
        .reduce((value, octet) => value * 256 + octet, 0),
    );
  },
  formatAddress(value) {
    return intToIpv4(Number(value));
  },
};

function familyOf(_text: string): AddressFamily {
  return IPV4;
}

/** Common guards on raw input: a non-empty, bounded string with no whitespace or line breaks. */
function readText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ValidationError('must be a string', field);
  if (value.length === 0) throw new ValidationError('must not be empty', field);
  if (value.length > MAX_TEXT_LENGTH) {
    throw new ValidationError(`must be at most ${MAX_TEXT_LENGTH} characters`, field);
  }
  if (/\s/.test(value)) throw new ValidationError('must not contain whitespace or line breaks', field);
  return value;
}

function hostMask(family: AddressFamily, length: number): bigint {
  return (1n << BigInt(family.bits - length)) - 1n;
}

function parsePrefixLength(text: string, family: AddressFamily, field: string): number {
  if (!PREFIX_LENGTH_SHAPE.test(text)) {
    throw new ValidationError(`must be a CIDR such as ${family.example}`, field);
  }
  if (text.length > 1 && text.startsWith('0')) {
    throw new ValidationError('must not contain leading zeros in the prefix length', field);
  }
  const length = Number(text);
  if (length > family.bits) {
    throw new ValidationError(`prefix length must be between 0 and ${family.bits}`, field);
  }
  return length;
}

function readCidr(value: unknown, field: string): ParsedCidr {
  const text = readText(value, field);
  const family = familyOf(text);
  const parts = text.split('/');
  if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) {
    throw new ValidationError(`must be a CIDR such as ${family.example}`, field);
  }
  const address = family.parseAddress(parts[0], field);
  const length = parsePrefixLength(parts[1], family, field);
  const mask = hostMask(family, length);
  const first = address & ~mask;
  if (first !== address) {
    const suggestion = `${family.formatAddress(first)}/${length}`;
    throw new ValidationError(`${text} has host bits set; did you mean ${suggestion}?`, field);
  }
  return { family, length, first, last: first | mask };
}

function readAddress(value: unknown, field: string): { family: AddressFamily; value: bigint } {
  const text = readText(value, field);
  const family = familyOf(text);
  return { family, value: family.parseAddress(text, field) };
}

/** Returns the canonical CIDR text; throws ValidationError(message, field) for anything else. */
export function parseCidr(value: unknown, field: string): string {
  const cidr = readCidr(value, field);
  return `${cidr.family.formatAddress(cidr.first)}/${cidr.length}`;
}

/** Returns the canonical address text; throws ValidationError(message, field) for anything else. */
export function parseIpAddress(value: unknown, field: string): string {
  const address = readAddress(value, field);
  return address.family.formatAddress(address.value);
}

export function cidrsOverlap(a: string, b: string): boolean {
  const left = readCidr(a, 'cidr');
  const right = readCidr(b, 'cidr');
  return left.family === right.family && left.first <= right.last && right.first <= left.last;
}

export function cidrContainsAddress(cidr: string, ip: string): boolean {
  const range = readCidr(cidr, 'cidr');
  const address = readAddress(ip, 'ip');
  return range.family === address.family && range.first <= address.value && address.value <= range.last;
}

/** The prefix length of a CIDR ("100.64.0.0/24" → 24). */
export function cidrPrefixLength(cidr: string): number {
  return readCidr(cidr, 'cidr').length;
}

/**
 * First and last usable host of an IPv4 prefix, as integers: network and broadcast addresses are
 * excluded, except in /31 and /32 where every address is a host (RFC 3021).
 */
export function usableHostRange(cidr: string): { first: number; last: number } {
  const range = readCidr(cidr, 'cidr');
  const [first, last] = [Number(range.first), Number(range.last)];
  return range.length >= 31 ? { first, last } : { first: first + 1, last: last - 1 };
}

export function ipv4ToInt(ip: string): number {
  return Number(IPV4.parseAddress(readText(ip, 'ip'), 'ip'));
}

export function intToIpv4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new ValidationError('must be an integer between 0 and 4294967295', 'ip');
  }
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** First and last address of an IPv4 prefix, as integers. */
export function cidrRange(cidr: string): { first: number; last: number } {
  const range = readCidr(cidr, 'cidr');
  return { first: Number(range.first), last: Number(range.last) };
}
